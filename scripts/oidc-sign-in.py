#!/usr/bin/env python3
"""Signs a user in at an OpenID Connect provider without a browser, as a browser would (its own
HTML forms, followed redirects), and prints the ID token the provider issues: for the server's
tests of how an ID token is checked, against tokens a real provider signed.

    scripts/oidc-sign-in.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD NONCE

Authorization code with PKCE (S256); the code is exchanged with client_secret_basic. The
provider's login is two forms (user name, then password), as scripts/oidc-provider.py serves it.
"""
import base64
import hashlib
import secrets
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


class Form(HTMLParser):
    """The first form of a page: its action and its fields' current values."""

    def __init__(self):
        super().__init__()
        self.action, self.values, self.inside = None, {}, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self.inside = attrs.get("action") or "", True
        elif self.inside and tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "submit"):
            self.values[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def follow(client, response, redirect_uri):
    while response.status_code in (301, 302, 303, 307, 308):
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(redirect_uri):
            return location
        response = client.get(location)
    return response


def submit(client, page, values):
    form = Form()
    form.feed(page.text)
    if form.action is None:
        sys.exit(f"no form on {page.url}")
    return client.post(urljoin(str(page.url), form.action), data={**form.values, **values})


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    issuer, client_id, secret, redirect_uri, email, password, nonce = sys.argv[1:]
    discovery = httpx.get(issuer + "/.well-known/openid-configuration").json()
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    with httpx.Client(timeout=20) as client:
        page = follow(client, client.get(discovery["authorization_endpoint"], params=dict(
            response_type="code", client_id=client_id, redirect_uri=redirect_uri, scope="openid email profile groups",
            state=state, nonce=nonce, code_challenge=challenge, code_challenge_method="S256")), redirect_uri)
        page = follow(client, submit(client, page, {"login": email}), redirect_uri)
        back = follow(client, submit(client, page, {"password": password}), redirect_uri)
        if not isinstance(back, str):
            sys.exit(f"the provider did not send the browser back: {back.url}")
        query = {key: values[0] for key, values in parse_qs(urlsplit(back).query).items()}
        if query.get("state") != state:
            sys.exit("the state came back changed")
        answer = httpx.post(discovery["token_endpoint"], auth=(client_id, secret), data=dict(
            grant_type="authorization_code", code=query["code"], redirect_uri=redirect_uri, code_verifier=verifier))
        if answer.status_code != 200:
            sys.exit(f"token endpoint: {answer.status_code} {answer.text[:300]}")
        print(answer.json()["id_token"])


if __name__ == "__main__":
    main()
