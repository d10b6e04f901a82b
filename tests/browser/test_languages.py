"""The page in English and French (web/i18n.js): every text of the page has its French, and in
Chromium the page follows the browser's language, the switch in its header changes it (and wins over
the browser's, and is remembered), and the server's and the hosted UI's sentences follow."""

from __future__ import annotations

import html.parser
import json
import pathlib
import re

from playwright.sync_api import expect

from tests.support import CODE, PASSWORD
from tests.support.chromium import (
    DESKTOP,
    SIGNED_OUT,
    PageProblems,
    create_account,
    new_email,
    shot,
    sign_in,
    virtual_authenticator,
)

WEB = pathlib.Path(__file__).resolve().parents[2] / "web"
ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")
# Strings of the scripts that people never read.
NOT_SHOWN = {"Bearer {}", "Authorization", "Content-Type", "X-Requested-With"}


def french() -> dict[str, str]:
    """i18n.js's FRENCH, which it keeps as JSON between two marker lines."""
    source = (WEB / "i18n.js").read_text()
    block = source.split("// BEGIN FRENCH", 1)[1].split("// END FRENCH", 1)[0]
    block = block[block.index("{") : block.rindex("}") + 1]
    return json.loads(block)


def shape(text: str) -> str:
    """A sentence with its varying parts as {} ("Open {name}" and `Open ${name}` alike)."""
    return re.sub(r"\$?\{[^}]*\}", "{}", " ".join(text.split()))


class _PageTexts(html.parser.HTMLParser):
    """The texts and the translatable attributes of index.html people read."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.skipping: list[str] = []  # the open elements whose text is not translated

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "noscript") or attrs.get("translate") == "no":
            if tag not in ("img", "input", "meta", "link", "br"):
                self.skipping.append(tag)
            return
        self.texts += [attrs[name] for name in ATTRIBUTES if attrs.get(name)]

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and re.search(r"[A-Za-z]", data):
            self.texts.append(" ".join(data.split()))


def script_sentences() -> dict[str, str]:
    """The sentences of the page's scripts, by their shape, with where each is."""
    found = {}
    for path in sorted(WEB.glob("*.js")):
        if path.name == "i18n.js":
            continue
        source = re.sub(r"^\s*//.*$", "", path.read_text(), flags=re.M)
        source = re.sub(r'"\s*\+\s*\n\s*"', "", source)  # "a sentence " + "split over lines"
        for match in re.finditer(r'"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`', source):
            text = match.group(1) or match.group(2) or ""
            if (
                re.match(r"^(?:[A-Z“]|\$\{)", text)
                and re.search(r"[a-z]{2}", shape(text).replace("{}", ""))
                and (" " in text or re.fullmatch(r"[A-Z][a-z]+[.!?…]?", text))
                and shape(text) not in NOT_SHOWN
            ):
                found[shape(text)] = f"web/{path.name}"
    return found


def test_every_text_of_the_page_has_its_french():
    dictionary = french()
    shapes = {shape(english) for english in dictionary}
    parser = _PageTexts()
    parser.feed((WEB / "index.html").read_text())
    lacking = sorted({text for text in parser.texts if text not in dictionary})
    lacking += sorted(f"{where}: {text!r}" for text, where in script_sentences().items() if text not in shapes)
    assert not lacking, "These texts of the page have no French in web/i18n.js's FRENCH:\n" + "\n".join(lacking)
    for english, translated in dictionary.items():
        assert translated.strip(), english
        assert sorted(re.findall(r"\{\w+\}", english)) == sorted(re.findall(r"\{\w+\}", translated)), english


ENGLISH_LEFT = """(english) => {
  const left = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest("[translate='no'], script, noscript") || !parent.checkVisibility()) continue;
    if (english.includes(node.nodeValue.trim())) left.push(node.nodeValue.trim());
  }
  return left;
}"""


def french_page(browser, server, locale: str):
    context = browser.new_context(viewport=DESKTOP, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page, PageProblems(page, server.url)


def test_the_page_follows_the_browsers_language_and_the_switch(browser, server):
    dictionary = french()
    english = [text for text, translated in dictionary.items() if text != translated and "{" not in text]
    context, page, problems = french_page(browser, server, "fr-FR")
    try:
        page.goto(server.url + "/")
        expect(page.get_by_test_id("status")).to_have_text(dictionary[SIGNED_OUT])
        assert page.evaluate("document.documentElement.lang") == "fr"
        expect(page.get_by_role("tab", name="S'inscrire")).to_be_visible()
        assert page.evaluate(ENGLISH_LEFT, english) == []
        # The server's sentences and the page's own, in French.
        sign_in(page, new_email(), PASSWORD)
        expect(page.get_by_test_id("sign-in-message")).to_have_text(dictionary["The email or password is wrong."])
        page.fill("#sign-in-email", "")
        page.press("#sign-in-password", "Enter")
        expect(page.get_by_test_id("sign-in-message")).to_contain_text("Veuillez")
        shot(page, "21-page-in-french.png")
        # The hosted UI is in French too: /login sends lang=fr.
        page.get_by_test_id("hosted-ui-link").click()
        expect(page.locator("h1")).to_have_text("Se connecter")
        assert "lang=fr" in page.url
        page.go_back()

        # The switch wins over the browser's language, and is remembered.
        page.select_option("#language", "en")
        expect(page.get_by_test_id("status")).to_have_text(SIGNED_OUT)
        assert page.evaluate("document.documentElement.lang") == "en"
        page.reload()
        expect(page.get_by_test_id("status")).to_have_text(SIGNED_OUT)
        expect(page.locator("#language")).to_have_value("en")
        sign_in(page, new_email(), PASSWORD)
        expect(page.get_by_test_id("sign-in-message")).to_have_text("The email or password is wrong.")
        page.select_option("#language", "fr")
        expect(page.get_by_test_id("status")).to_have_text(dictionary[SIGNED_OUT])
        assert problems.found == []
    finally:
        context.close()


def test_an_english_browser_gets_english_until_it_picks_french(browser, server):
    dictionary = french()
    context, page, problems = french_page(browser, server, "en-US")
    try:
        page.goto(server.url + "/")
        expect(page.get_by_test_id("status")).to_have_text(SIGNED_OUT)
        assert page.evaluate("document.cookie") == ""  # nothing is kept until the person chooses
        page.select_option("#language", "fr")
        expect(page.get_by_test_id("status")).to_have_text(dictionary[SIGNED_OUT])
        assert "lang=fr" in page.evaluate("document.cookie")
        assert problems.found == []
    finally:
        context.close()


def test_the_photos_and_account_views_are_all_french(browser, server):
    dictionary = french()
    english = [text for text, translated in dictionary.items() if text != translated and "{" not in text]
    email = new_email()
    create_account(server, email, "Zoé")
    context, page, problems = french_page(browser, server, "fr")
    try:
        page.goto(server.url + "/")
        sign_in(page, email, PASSWORD)
        expect(page.get_by_test_id("who")).to_have_text(f"Connecté en tant que Zoé ({email})")
        expect(page.get_by_test_id("greeting")).to_have_text("Bonjour, Zoé !")
        expect(page.get_by_test_id("photos-empty")).to_have_text("Vous n'avez pas encore de photos.")
        assert page.evaluate(ENGLISH_LEFT, english) == []
        page.click("#show-account")
        expect(page.get_by_test_id("mfa-status")).to_have_text("Les codes d'authentification sont désactivés.")
        expect(page.locator("#new-password-rules li").first).to_contain_text("caractères ou plus")
        assert page.evaluate(ENGLISH_LEFT, english) == []
        assert problems.found == []
    finally:
        context.close()


def test_codes_passkeys_and_the_code_step_are_french_too(browser, server):
    dictionary = french()
    english = [text for text, translated in dictionary.items() if text != translated and "{" not in text]
    email = new_email()
    create_account(server, email, "Zoé")
    context, page, problems = french_page(browser, server, "fr")
    try:
        virtual_authenticator(page)
        page.goto(server.url + "/")
        sign_in(page, email, PASSWORD)
        expect(page.get_by_test_id("who")).to_have_text(f"Connecté en tant que Zoé ({email})")
        page.click("#show-account")
        # The status is made of whole sentences, each translated.
        expect(page.get_by_test_id("codes-status")).to_have_text(
            "Les codes par SMS sont désactivés. Les codes par e-mail sont désactivés."
        )
        expect(page.get_by_test_id("passkeys-empty")).to_have_text("Vous n'avez pas encore de clés d'accès.")
        assert page.evaluate(ENGLISH_LEFT, english) == []

        # A passkey's name and date, and its delete button's label, in French (the date too).
        page.get_by_test_id("passkey-add").click()
        expect(page.get_by_test_id("passkeys-message")).to_have_text(
            "La clé d'accès est ajoutée. Vous pouvez maintenant vous connecter avec elle."
        )
        item = page.get_by_test_id("passkey-list").locator("li")
        expect(item.locator("span")).to_have_text(re.compile(r"^Clé d'accès 1, ajoutée le \d{1,2} [a-zéû]+\.? \d{4}$"))
        expect(item.get_by_test_id("passkey-delete")).to_have_attribute(
            "aria-label", re.compile(r"^Supprimer Clé d'accès 1, ajoutée le ")
        )

        page.get_by_test_id("email-codes-on").click()
        expect(page.get_by_test_id("codes-message")).to_have_text(
            "Les codes par e-mail sont activés. La connexion vous enverra un code par e-mail."
        )
        expect(page.get_by_test_id("codes-status")).to_have_text(
            "Les codes par SMS sont désactivés. Les codes par e-mail sont activés."
        )
        assert page.evaluate(ENGLISH_LEFT, english) == []

        # The code step of the next sign-in says where the code went, in French.
        page.get_by_test_id("sign-out").click()
        expect(page.get_by_test_id("status")).to_have_text(dictionary[SIGNED_OUT])
        sign_in(page, email, PASSWORD)
        expect(page.get_by_test_id("mfa-heading")).to_have_text("Saisissez le code reçu par e-mail")
        expect(page.get_by_test_id("mfa-note")).to_have_text(
            f"Nous avons envoyé un code à 6 chiffres par e-mail à {email[0]}***@e***."
        )
        expect(page.locator("#mfa-code-label")).to_have_text("Code reçu par e-mail")
        assert page.evaluate(ENGLISH_LEFT, english) == []
        page.fill("#mfa-code", "12345")
        page.press("#mfa-code", "Enter")
        expect(page.get_by_test_id("mfa-message")).to_have_text(
            "Le code est fait des 6 chiffres que nous vous avons envoyés. Vérifiez-le."
        )
        page.fill("#mfa-code", CODE)
        page.press("#mfa-code", "Enter")
        expect(page.get_by_test_id("who")).to_have_text(f"Connecté en tant que Zoé ({email})")
        assert problems.found == []
    finally:
        context.close()
