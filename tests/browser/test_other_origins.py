"""A page on another port of the same host, in a real browser: Chromium sends the Strict refresh
cookie with its requests (the same site), and the server refuses them, so such a page can neither
sign the person out everywhere nor sign them out with a link to /logout."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import PASSWORD
from tests.support.chromium import create_account, expect_signed_in, new_email, page_elsewhere, sign_in

FORGED_SIGN_OUT = """<!doctype html><html><head><title>waiting</title></head><body><script>
fetch("%s/", {method: "POST", mode: "no-cors", credentials: "include",
              headers: {"Content-Type": "text/plain"}, body: JSON.stringify({env: "signOut", global: true})})
  .then(() => { document.title = "sent"; }, () => { document.title = "failed"; });
</script></body></html>"""


def signed_in_page(page, server) -> str:
    email = new_email()
    create_account(server, email, "Sam")
    page.goto(server.url + "/")
    sign_in(page, email, PASSWORD)
    expect_signed_in(page, email)
    return email


def test_a_page_on_another_port_cannot_sign_the_person_out(pages, page, server):
    email = signed_in_page(page, server)
    with page_elsewhere(FORGED_SIGN_OUT % server.url) as url:
        elsewhere = pages.new_page()
        with elsewhere.expect_response(lambda answer: answer.url == server.url + "/") as sent:
            elsewhere.goto(url)
        expect(elsewhere).to_have_title("sent")
    # Refused: on a server that took it, the person would now be signed out on every device.
    assert sent.value.status == 403
    pages.problems[-1].expected_4xx.add(server.url + "/")
    page.reload()
    expect_signed_in(page, email)  # the refresh cookie still works


def test_a_link_on_another_port_to_logout_only_shows_the_sign_out_button(pages, page, server):
    email = signed_in_page(page, server)
    with page_elsewhere(f'<!doctype html><title>link</title><a id=out href="{server.url}/logout">out</a>') as url:
        elsewhere = pages.new_page()
        elsewhere.goto(url)
        elsewhere.click("#out")
        expect(elsewhere.get_by_role("button", name="Sign out")).to_be_visible()
    page.reload()
    expect_signed_in(page, email)
