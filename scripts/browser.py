"""What the browser scripts share: a demo server on a fresh SQLite file, a headless Chromium,
keyboard moves that count their keystrokes, axe-core and screenshots at both widths.

Needs Debian's chromium and chromium-driver, and `pip install selenium axe-selenium-python`
(`.ci/run` installs them).
"""
import os, subprocess, tempfile, time, urllib.request

os.environ.setdefault("SE_OFFLINE", "true")
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains
from axe_selenium_python import Axe

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTHS = (390, 1280)


class Server:
    """`esms serve` on a fresh SQLite file of the demo registry, with accounts made by
    `esms users add`; stopped by `stop()`."""

    def __init__(self, binary, port, today):
        self.binary, self.work = binary, tempfile.mkdtemp()
        self.database = f"{self.work}/esms.sqlite"
        self.base = f"http://127.0.0.1:{port}"
        self.port, self.today, self.process = port, today, None

    def user(self, email, password, *roles, name="Compte de test"):
        args = [self.binary, "users", "add", email, "--name", name, "--password-stdin", "--database", self.database]
        for role in roles:
            args += ["--role", role]
        subprocess.run(args, input=password + "\n", text=True, check=True, stdout=subprocess.DEVNULL)

    def token(self, email):
        return subprocess.run([self.binary, "users", "token", email, "--days", "1", "--database", self.database],
                              text=True, check=True, capture_output=True).stdout.strip().splitlines()[-1]

    def start(self):
        env = dict(os.environ, ESMS_TODAY=self.today)
        self.process = subprocess.Popen([self.binary, "serve", "--port", self.port, "--database", self.database],
                                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/health")
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError("le serveur ne répond pas sur /health")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait()


def chromium():
    options = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]:
        options.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Keyboard:
    """Moves with the keyboard alone, counted: a key is one keystroke, a typed text one per
    character, a pasted text one."""

    def __init__(self, driver):
        self.driver, self.count = driver, 0

    def press(self, *keys):
        self.count += 1
        ActionChains(self.driver).send_keys(*keys).perform()

    def type(self, text):
        self.count += len(text)
        ActionChains(self.driver).send_keys(text).perform()

    def paste(self, text):
        self.count += 1
        ActionChains(self.driver).send_keys(text).perform()

    def tab_to(self, found, limit=400, what="l'élément"):
        """Tab until `found(active element)`; the page is started from its top."""
        for _ in range(limit):
            active = self.driver.switch_to.active_element
            if found(active):
                return active
            self.press(Keys.TAB)
        raise RuntimeError(f"{what} inatteignable au clavier")

    def tab_to_id(self, element_id, limit=400):
        return self.tab_to(lambda e: e.get_attribute("id") == element_id, limit, f"#{element_id}")


def axe_violations(driver):
    axe = Axe(driver)
    axe.inject()
    return axe.run()["violations"]


def shoot(driver, out, name, path=None, base=""):
    """Screenshots of a page (`path`, or the page on screen) at both widths; returns the page's
    width at 390 px and the axe violations at 1280 px."""
    width_390, violations = None, []
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        if path is not None:
            driver.get(base + path)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(height, 8000))
        driver.save_screenshot(f"{out}/{name}-{width}.png")
        if width == 390:
            width_390 = driver.execute_script("return document.documentElement.scrollWidth")
        else:
            violations = axe_violations(driver)
    driver.set_window_size(1280, 900)
    return width_390, violations
