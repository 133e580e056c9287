#!/usr/bin/env python3
"""Screenshots of every page at 390 px and 1280 px (the DUI's pages for a professional at 390 px and
1024 px, a tablet, and 1280 px), keyboard walk and axe-core, on a demo server.

    python3 scripts/screenshots.py BINARY OUTDIR

BINARY is a built `esms`; OUTDIR receives one PNG per page and width, and `report.txt`
(axe violations and the number of tab stops per page). Needs Debian's chromium and
chromium-driver, and `pip install selenium axe-selenium-python` (`scripts/browser.py`).
"""
import json, os, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import ROOT as root, By, Keys, ActionChains, Axe, Server, chromium

binary, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
server = Server(binary, "8097", today="2026-11-25")
base = server.base
# A porteur of both example organismes, and its API token for the set-up through the API.
email, password = "captures@esms.invalid", "mot-de-passe-captures"
server.user(email, password, "porteur:310000013", "porteur:310100011", name="Porteur des captures")
token = server.token(email)
# An instructor of the ARS Occitanie, to decide on a dossier through the API.
server.user("instructeur@esms.invalid", password, "instructeur:76", name="ARS Occitanie")
agent = server.token("instructeur@esms.invalid")
# A professional of the demo DUI's EHPAD (#13).
server.user("soignant@esms.invalid", password, "professionnel:315000018", name="EHPAD Les Acacias, soignant")
server.start()
try:
    def api(path, body, method="POST", bearer=None, version=None):
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {bearer or token}"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=headers)
        return json.load(urllib.request.urlopen(req))

    def upload(dossier, item):
        body = (f'--b\r\nContent-Disposition: form-data; name="item"\r\n\r\n{item}\r\n--b\r\n'
                f'Content-Disposition: form-data; name="file"; filename="{item}.pdf"\r\n\r\n%PDF-1.7 {item}\r\n--b--\r\n').encode()
        req = urllib.request.Request(f"{base}/api/v1/dossiers/{dossier}/documents", data=body, method="POST",
                                     headers={"Content-Type": "multipart/form-data; boundary=b", "Authorization": f"Bearer {token}"})
        urllib.request.urlopen(req)

    small = api("/api/v1/grappes", {"name": "Grappe Occitanie (FINESS)",
                                    "project": json.load(open(f"{root}/examples/grappe-finess-occitanie.json"))})
    usage = api("/api/v1/grappes", {"name": "Grappe 35 EHPAD",
                                    "project": json.load(open(f"{root}/examples/usage-projet-35.json"))})
    # A dossier decided through the API: filed on the national grid (no window), taken, scored, accepted.
    project = json.load(open(f"{root}/examples/grappe-finess-occitanie.json")); project["campaign"] = "2022"
    decided = api("/api/v1/dossiers", {"title": "DUI des EHPAD de l'association (décidé)", "project": project})
    for item in ["cadreReponse", "autodiagnosticSI", "planFinancement", "devis"]:
        upload(decided["id"], item)
    path = f"/api/v1/dossiers/{decided['id']}"
    api(path + "/transitions", {"to": "depose"}, version=1)
    api(path + "/transitions", {"to": "enInstruction"}, bearer=agent, version=2)
    api(path + "/score", {"criteria": {"enjeux": 3, "equipe": 2, "planning": 2, "securite": 2, "interoperabilite": 3}}, method="PUT", bearer=agent, version=3)
    api(path + "/transitions", {"to": "accepte", "message": "Projet retenu : équipe et planning solides."}, bearer=agent, version=4)

    driver = chromium()
    report = []

    def shoot(name, path=None, widths=(390, 1280)):
        """Both widths of a page (`path`), or of the page on screen (the answer to a form)."""
        for width in widths:
            driver.set_window_size(width, 900)
            if path is not None:
                driver.get(base + path)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            scroll = driver.execute_script("return document.documentElement.scrollWidth")
            driver.set_window_size(width, min(height, 8000))
            driver.save_screenshot(f"{out}/{name}-{width}.png")
            if width == widths[-1]:
                axe = Axe(driver); axe.inject()
                violations = axe.run()["violations"]
                body = driver.find_element(By.TAG_NAME, "body")
                stops, seen = 0, set()
                body.send_keys(Keys.TAB)
                for _ in range(300):
                    el = driver.switch_to.active_element
                    key = el.id
                    if key in seen: break
                    seen.add(key); stops += 1
                    ActionChains(driver).send_keys(Keys.TAB).perform()  # a file input takes send_keys as a path
                report.append(f"{name}: axe {len(violations)} violation(s) {[v['id'] for v in violations]}, {stops} arrêts de tabulation")
            else:
                report.append(f"{name} @{width}: largeur {scroll} px")

    def tab_to(element_id, limit=200):
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        for _ in range(limit):
            active = driver.switch_to.active_element
            if active.get_attribute("id") == element_id:
                return active
            ActionChains(driver).send_keys(Keys.TAB).perform()
        raise RuntimeError(f"{element_id} inatteignable au clavier")

    # Signed out: the home page, the sign-in page, a porteur's page sends to the sign-in page.
    shoot("accueil-anonyme", "/")
    shoot("connexion", "/connexion")
    driver.set_window_size(1280, 900)
    driver.get(base + "/grappes")
    report.append(f"anonyme, /grappes → {driver.current_url.replace(base, '')}")
    # Keyboard alone: the sign-in form, a wrong password, then the right one.
    tab_to("email").send_keys(email)
    driver.switch_to.active_element.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys("faux mot de passe" + Keys.ENTER)
    time.sleep(0.5)
    report.append(f"clavier, connexion avec un mauvais mot de passe : {driver.find_element(By.CSS_SELECTOR, '[role=alert]').text}")
    shoot("connexion-refusee")
    driver.get(base + "/connexion?retour=%2Fgrappes")
    tab_to("email").send_keys(email)
    driver.switch_to.active_element.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys(password + Keys.ENTER)
    time.sleep(1)
    report.append(f"clavier, connexion → {driver.current_url.replace(base, '')} : {driver.find_element(By.TAG_NAME, 'h1').text}")

    # The usage page with measures: dates, then the file, through the page's own forms.
    driver.set_window_size(1280, 900)
    driver.get(f"{base}/grappes/{usage['id']}/usages")
    driver.execute_script("document.getElementById('commitmentDate').value='2025-03-01'")
    driver.find_element(By.ID, "commitmentDate").submit()
    time.sleep(0.5)
    driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(f"{root}/examples/usage-mesures-35.csv")
    driver.find_element(By.XPATH, "//button[contains(., 'Envoyer les mesures')]").click()
    time.sleep(1)

    pages = [
        ("accueil", "/"),
        ("finess", "/finess?q=ehpad"),
        ("campagnes", "/campagnes"),
        ("grappes", "/grappes"),
        ("grappe", f"/grappes/{small['id']}"),
        ("grappe-35", f"/grappes/{usage['id']}"),
        ("impression", f"/grappes/{small['id']}/impression"),
        ("usages", f"/grappes/{usage['id']}/usages"),
        ("usages-vide", f"/grappes/{small['id']}/usages"),
        ("introuvable", "/grappes/inconnue"),
        ("compte", "/compte"),
        ("sources", "/sources"),
    ]
    for width in (390, 1280):
        driver.set_window_size(width, 900)
        driver.get(base + "/campagnes#2022")
        row = driver.find_element(By.XPATH, "//tr[th/code[text()='U4.exemptions']]")
        driver.execute_script("arguments[0].scrollIntoView()", row)
        row.screenshot(f"{out}/campagnes-U4-{width}.png")
    for name, path in pages:
        shoot(name, path)
    # Keyboard alone: file the Occitanie grappe as a dossier, then its page and the list.
    driver.set_window_size(1280, 900)
    driver.get(base + "/dossiers")
    tab_to("new-title").send_keys("DUI des EHPAD d'Occitanie")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys("Grappe Occ")
    driver.switch_to.active_element.send_keys(Keys.TAB + Keys.ENTER)
    time.sleep(1)
    dossier_path = driver.current_url.replace(base, "")
    report.append(f"clavier, dossiers → nouveau dossier : {driver.find_element(By.TAG_NAME, 'h1').text} ({dossier_path})")
    shoot("dossier", dossier_path)
    driver.get(base + dossier_path)
    tab_to("transition-depose-message").send_keys(Keys.TAB + Keys.ENTER)
    time.sleep(1)
    alert = driver.find_elements(By.CSS_SELECTOR, "[role=alert] li")
    report.append(f"clavier, dossier → « Déposer le dossier » sans les pièces : {len(alert)} condition(s) nommée(s), dont « {alert[0].text if alert else ''} »")
    shoot("dossier-depot-refuse")
    shoot("dossiers", "/dossiers")
    shoot("dossier-accepte", f"/dossiers/{decided['id']}")
    shoot("decision", f"/dossiers/{decided['id']}/decision")
    # Keyboard alone: from the top of each page, Tab to a field, type, Enter; then check what changed.
    driver.set_window_size(1280, 900)
    driver.get(base + "/")
    tab_to("q").send_keys("ehpad" + Keys.ENTER)
    time.sleep(0.5)
    found = driver.find_element(By.TAG_NAME, "caption").text
    report.append(f"clavier, accueil → recherche « ehpad » : {found}")
    driver.get(base + "/")
    tab_to("name").send_keys("Grappe au clavier")
    driver.switch_to.active_element.send_keys(Keys.TAB)  # the campaign select, left on its first choice
    driver.switch_to.active_element.send_keys(Keys.TAB)  # the porteur select: the demo registry's organisme
    driver.switch_to.active_element.send_keys("FINESS EJ 3101")
    driver.switch_to.active_element.send_keys(Keys.TAB + Keys.ENTER)  # « Créer la grappe »
    time.sleep(0.5)
    report.append(f"clavier, accueil → nouvelle grappe : {driver.find_element(By.TAG_NAME, 'h1').text} ({driver.current_url.replace(base, '')})")
    first_et = small["project"]["establishments"][0]["finessET"]
    tab_to("add-et").send_keys(first_et + Keys.ENTER)
    time.sleep(0.5)
    rows = driver.find_elements(By.CSS_SELECTOR, "table caption")
    report.append(f"clavier, grappe → ajout de {first_et} : {rows[0].text if rows else 'aucun tableau'}")
    driver.get(f"{base}/grappes/{usage['id']}/usages")
    tab_to("expenses").send_keys(Keys.CONTROL, "a", Keys.NULL, "12,5abc", Keys.ENTER)
    time.sleep(0.5)
    error = driver.find_elements(By.ID, "expenses-erreur")
    report.append(f"clavier, usages → dépenses « 12,5abc » : {error[0].text if error else 'pas de message'}")
    # The account page: start enrolling a second factor (the otpauth link, as text).
    driver.get(base + "/compte")
    tab_to("second-factor-start").send_keys(Keys.ENTER)
    time.sleep(0.5)
    link = driver.find_elements(By.ID, "otpauth")
    report.append(f"clavier, compte → second facteur : {link[0].get_attribute('value')[:40] + '…' if link else 'pas de lien'}")
    shoot("compte-second-facteur")
    driver.find_element(By.XPATH, "//button[contains(., 'Se déconnecter')]").click()
    time.sleep(0.5)
    report.append(f"déconnexion → {driver.current_url.replace(base, '')}, « Se connecter » affiché : {'Se connecter' in driver.page_source}")
    # The instructor, signed in with the keyboard: a dossier's sections, an opinion asked by form,
    # the ranking against the envelope, the convention.
    driver.get(base + "/connexion?retour=%2Fdossiers")
    tab_to("email").send_keys("instructeur@esms.invalid")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys(password + Keys.ENTER)
    time.sleep(1)
    report.append(f"clavier, instructeur → {driver.current_url.replace(base, '')} : {driver.find_element(By.TAG_NAME, 'h1').text}")
    shoot("instruction-dossiers", "/dossiers")
    driver.get(f"{base}/dossiers/{decided['id']}")
    tab_to("avis-expert").send_keys("expert@esms.invalid")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys("Le planning de déploiement est-il tenable ?" + Keys.TAB + Keys.TAB + Keys.ENTER)
    time.sleep(0.5)
    refused = driver.find_elements(By.CSS_SELECTOR, "[role=alert]")
    report.append(f"clavier, instructeur → avis demandé à un compte sans rôle expert : {refused[0].text if refused else 'accepté'}")
    shoot("instruction-dossier", f"/dossiers/{decided['id']}")
    shoot("classement", "/classement?campaign=2022&scope=76")
    shoot("tableau-de-bord", "/tableau-de-bord?campaign=2022")
    # Keyboard alone: the dashboard's campaign chosen; the accepted dossier's VSR entered.
    driver.set_window_size(1280, 900)
    driver.get(base + "/tableau-de-bord")
    tab_to("dashboard-campaign").send_keys("2022" + Keys.TAB + Keys.ENTER)
    time.sleep(0.5)
    report.append(f"clavier, tableau de bord → campagne : {driver.find_element(By.CSS_SELECTOR, 'main p').text[:60]}")
    driver.get(f"{base}/dossiers/{decided['id']}")
    tab_to("vsr-date").send_keys("01012026" + Keys.ENTER)  # a date field takes Tab between its parts; Enter sends the form
    time.sleep(0.5)
    vsr = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#paiements ~ ul li") if li.text.startswith("VSR")]
    report.append(f"clavier, dossier accepté → VSR : {vsr[0] if vsr else 'non enregistrée'}")
    shoot("paiements-vsr")
    shoot("convention", f"/dossiers/{decided['id']}/convention")
    # The professional of the demo DUI, from the keyboard: the persons searched, a record's tabs,
    # the agenda of the week and of a month, the indicators — at 390 px, 1024 px (a tablet) and 1280 px.
    driver.set_window_size(1280, 900)
    driver.find_element(By.XPATH, "//button[contains(., 'Se déconnecter')]").click()
    time.sleep(0.5)
    driver.get(base + "/connexion")
    tab_to("email").send_keys("soignant@esms.invalid")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys(password + Keys.ENTER)
    time.sleep(1)
    tablet = (390, 1024, 1280)
    shoot("dui-accueil", "/", widths=tablet)
    shoot("dui-personnes", "/etablissements/315000018/personnes", widths=tablet)
    driver.set_window_size(1024, 900)
    driver.get(base + "/etablissements/315000018/personnes")
    tab_to("persons-query").send_keys("blanc" + Keys.ENTER)
    time.sleep(0.5)
    report.append(f"clavier, personnes → recherche « blanc » : {driver.find_element(By.TAG_NAME, 'caption').text}")
    shoot("dui-personnes-recherche", widths=tablet)
    person = driver.find_element(By.CSS_SELECTOR, "tbody th a").get_attribute("href").replace(base, "")
    for tab in ["identite", "contacts", "sejours", "projet", "agenda", "notes", "documents"]:
        shoot(f"dui-personne-{tab}", f"{person}?onglet={tab}", widths=tablet)
    # Keyboard alone: a note written on the notes tab, added by its button.
    driver.set_window_size(1024, 900)
    driver.get(f"{base}{person}?onglet=notes")
    tab_to("note-text").send_keys("Transmission saisie au clavier." + Keys.TAB + Keys.ENTER)
    time.sleep(0.5)
    said = driver.find_elements(By.CSS_SELECTOR, "[role=status]")
    report.append(f"clavier, dossier → note ajoutée : {said[0].text if said else 'pas de message'}")
    shoot("dui-personne-note-ajoutee", widths=tablet)
    shoot("dui-agenda-semaine", "/etablissements/315000018/agenda", widths=tablet)
    shoot("dui-agenda-mois", "/etablissements/315000018/agenda?vue=mois&date=2026-10-01", widths=tablet)
    shoot("dui-indicateurs", "/etablissements/315000018/indicateurs", widths=tablet)
    # Keyboard alone: a range of months chosen and shown by the button; the targets' sentence read.
    driver.set_window_size(390, 900)
    driver.get(base + "/etablissements/315000018/indicateurs")
    # Ctrl+A, then the month: a modifier stays held until the end of its send_keys.
    field = tab_to("indicators-from")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("2026-01", Keys.TAB)
    field = driver.switch_to.active_element
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("2026-06", Keys.TAB)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    time.sleep(0.5)
    months = len(driver.find_elements(By.CSS_SELECTOR, "tbody th[scope=row]")) // 2
    targets = next((p.text for p in driver.find_elements(By.TAG_NAME, "p") if p.text.startswith("Cibles")), "pas de cibles")
    report.append(f"clavier, indicateurs → de 2026-01 à 2026-06 : {months} mois ; {targets}")
    shoot("dui-indicateurs-periode", widths=tablet)
    open(f"{out}/report.txt", "w").write("\n".join(report) + "\n")
    print("\n".join(report))
    driver.quit()
finally:
    server.stop()
