#!/usr/bin/env python3
"""The grappe builder driven by a headless Chromium, from the keyboard alone, as `.ci/run` runs it.

    python3 scripts/browser-test.py BINARY OUTDIR

A porteur signs in, creates a grappe on the call open that day, finds the establishments of its
organisme by its FINESS EJ and adds them all at once, makes the grappe mixte, chooses the solution,
sets one establishment in mise en conformité and another already funded (E3), reads the verdict and
exports the amounts and the establishments. Every page passed through is checked by axe-core (zero
violation) and for reflow at 390 px; OUTDIR receives screenshots at 390 and 1280 px. Prints each
check, then « N passed, N failed »; exits 1 when a check failed.
"""
import csv, io, sys, time, urllib.request

sys.path.insert(0, __import__("os").path.dirname(__file__))
from browser import By, Keys, Keyboard, Server, chromium, shoot, axe_violations

binary, out = sys.argv[1], sys.argv[2]
__import__("os").makedirs(out, exist_ok=True)
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'ÉCHEC'} {name}{' : ' + detail if detail else ''}", flush=True)


def looked_at(name, path=None):
    """Screenshots at both widths; no horizontal scrolling at 390 px; axe at zero violations."""
    width, violations = shoot(driver, out, name, path, server.base)
    check(f"{name} : pas de défilement horizontal à 390 px", width <= 390, f"{width} px")
    check(f"{name} : axe-core sans violation", not violations, ", ".join(v["id"] for v in violations))


email, password = "navigateur@esms.invalid", "mot-de-passe-navigateur"
server = Server(binary, "8095", today="2022-05-02")
server.user(email, password, "porteur:310100011", name="Porteur du test navigateur")
server.start()
driver = chromium()
keys = Keyboard(driver)
try:
    driver.set_window_size(1280, 900)
    started = time.time()
    driver.get(server.base + "/connexion?retour=%2F")
    keys.tab_to_id("email")
    keys.type(email); keys.press(Keys.TAB); keys.type(password); keys.press(Keys.ENTER)
    time.sleep(0.5)
    check("connexion au clavier", driver.current_url == server.base + "/", driver.current_url)

    # A new grappe on the call open on 02/05/2022, nothing chosen for the porteur.
    campaign = driver.find_element(By.CSS_SELECTOR, "#campaign option:checked").text
    check("nouvelle grappe : un appel ouvert ce jour est proposé", "ouverte jusqu'au" in campaign, campaign)
    keys.tab_to_id("name")
    keys.type("Grappe du test navigateur"); keys.press(Keys.TAB); keys.press(Keys.TAB); keys.press(Keys.ENTER)
    time.sleep(0.5)
    grappe = driver.current_url.replace(server.base, "")
    body = driver.find_element(By.TAG_NAME, "body").text
    check("nouvelle grappe créée", grappe.startswith("/grappes/") and "Grappe du test navigateur" in body, grappe)
    check("nouvelle grappe : aucune solution choisie, aucun montant",
          driver.find_element(By.ID, "referencing").get_attribute("value") == "" and "Financement ESMS numérique" not in body)
    looked_at("test-grappe-neuve")

    # The organisme's FINESS EJ: its establishments listed, its ESSMS ticked, added at once.
    driver.get(server.base + "/finess")
    keys.tab_to_id("q")
    keys.type("310100011"); keys.press(Keys.ENTER)
    time.sleep(0.5)
    ticked = [c.get_attribute("value") for c in driver.find_elements(By.CSS_SELECTOR, "input[name=finessET]") if c.is_selected()]
    status = driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    check("recherche par FINESS EJ : les ESSMS de l'organisme cochés", len(ticked) >= 40 and "310100011" in status, f"{len(ticked)} cochés ; {status}")
    looked_at("test-finess-ej")
    keys.tab_to(lambda e: e.tag_name == "button" and "Ajouter les établissements cochés" in e.text, what="« Ajouter les établissements cochés »")
    keys.press(Keys.ENTER)
    time.sleep(1)
    captions = [c.text for c in driver.find_elements(By.TAG_NAME, "caption") if "Établissements de la grappe" in c.text]
    check("ajout de plusieurs établissements en une fois", captions == [f"Établissements de la grappe ({len(ticked)})"], str(captions))

    # The project's choices: grappe mixte, the solution, its referencing and the procurement.
    keys.tab_to_id("kind"); keys.press(Keys.ARROW_DOWN); keys.press(Keys.ARROW_DOWN)
    keys.tab_to_id("solutionName"); keys.type("Logiciel X"); keys.press(Keys.TAB); keys.type("Éditeur Y")
    keys.press(Keys.TAB); keys.press(Keys.ARROW_DOWN)  # référencement : the first after « — à choisir — »
    keys.press(Keys.TAB); keys.press(Keys.ARROW_DOWN)  # procédure d'achat : likewise
    keys.tab_to(lambda e: e.tag_name == "button" and "Mettre à jour" in e.text, what="« Mettre à jour l'évaluation »")
    keys.press(Keys.ENTER)
    time.sleep(1)
    check("projet mixte choisi au clavier", driver.find_element(By.ID, "kind").get_attribute("value") == "mixte")
    check("solution choisie : le verdict paraît",
          bool(driver.find_elements(By.CSS_SELECTOR, ".badge")) and "Pas encore de verdict" not in driver.find_element(By.TAG_NAME, "body").text)

    # One establishment in mise en conformité, another already funded (E3).
    conformity, funded = ticked[-1], ticked[0]
    keys.tab_to_id(f"k-{conformity}"); keys.press(Keys.ARROW_DOWN); keys.press(Keys.TAB); keys.press(Keys.ENTER)
    time.sleep(0.7)
    check("nature par établissement", driver.find_element(By.ID, f"k-{conformity}").get_attribute("value") == "miseEnConformite")
    keys.tab_to(lambda e: e.tag_name == "summary" and "vous seul" in e.text, what="« Ce que vous seul savez »")
    keys.press(Keys.ENTER)
    keys.tab_to_id(f"prior-{funded}"); keys.press(Keys.SPACE)
    keys.press(Keys.SHIFT, Keys.TAB); keys.press(Keys.ENTER)  # « Enregistrer les faits », just above the table
    time.sleep(1)
    elapsed = time.time() - started
    body = driver.find_element(By.TAG_NAME, "body").text
    row = driver.find_element(By.XPATH, f"//tr[td[text()='{funded}']]").text
    check("l'établissement déjà financé est exclu (E3)", "Exclu" in row and "E3" in row, row[:160])
    badge = driver.find_element(By.CSS_SELECTOR, ".badge").text
    total = next((c.text for c in driver.find_elements(By.TAG_NAME, "caption") if c.text.startswith("Financement ESMS numérique")), "")
    check("verdict lu : une grappe mixte est à décider par l'ARS (D6)", badge == "À décider par l'ARS" and total.endswith("€"), f"{badge} ; {total}")
    check("le point d'attention D6 dit comment avancer",
          "(D6, décision D6 de la plateforme, [003] Q11)" in body and "Pour avancer : Déposez deux projets" in body)
    print(f"parcours au clavier : {len(ticked)} établissements, grappe mixte, un E3 : {keys.count} frappes, {elapsed:.1f} s machine")
    looked_at("test-grappe")
    looked_at("test-impression", grappe + "/impression")
    looked_at("test-campagnes", "/campagnes")
    looked_at("test-sources", "/sources")

    # The exports, with the session of the browser.
    cookie = driver.get_cookie("esms_session")["value"]

    def download(path):
        request = urllib.request.Request(server.base + path, headers={"Cookie": f"esms_session={cookie}"})
        return urllib.request.urlopen(request).read().decode("utf-8-sig")

    amounts = list(csv.reader(io.StringIO(download(grappe + "/montants.csv")), delimiter=";"))
    euros = total.removeprefix("Financement ESMS numérique : ").removesuffix(" €").replace("\u202f", "").replace(" ", "")
    check("export des montants : le verdict d'abord, le total de la page",
          amounts[1][:2] == ["Recevabilité", badge] and ["Total", f"{euros},00", "", ""] in amounts, f"{amounts[1]} ; total {euros}")
    lines = list(csv.reader(io.StringIO(download(grappe + "/etablissements.csv")), delimiter=";"))
    excluded = [l for l in lines if l[0] == funded]
    check("export des établissements : un par ligne, l'exclusion E3 dite",
          len(lines) == len(ticked) + 1 and excluded and excluded[0][7] == "non" and excluded[0][8].startswith("E3"), str(excluded[:1]))
finally:
    driver.quit()
    server.stop()

failed = results.count(False)
print(f"navigateur: {len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
