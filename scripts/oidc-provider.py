#!/usr/bin/env python3
"""Start a throw-away OpenID Connect provider (Canaille) on 127.0.0.1 for tests.

This is a test fixture for the server's OpenID Connect single sign-on: it runs
the real provider `canaille` (PyPI, Flask + Authlib) with its in-memory
backend, registers one confidential client and some users, and serves it until
killed. Run it with a Python that has the pinned requirements installed:

    pip install 'canaille[front,oidc]==0.3.6'   # (see the notes for the full pin list)
    python scripts/oidc-provider.py --port 0 --client-id app --client-secret s3cret \
        --redirect-uri http://127.0.0.1:8080/auth/oidc/callback \
        --user alice@example.com:alice-password:admins,staff --state-dir /tmp/oidc

Once it accepts connections it prints exactly one line on stdout,
`issuer http://127.0.0.1:PORT`, and flushes; logs go to stderr. `--port 0`
picks a free port. The discovery document is at
<issuer>/.well-known/openid-configuration.

What the provider does for the client:
  * authorization code flow with PKCE (S256 or plain); once a code_challenge is
    sent the code_verifier is checked, but this confidential client may also
    omit PKCE (Authlib enforces it only for public clients); a nonce is required
    and must not be reused;
  * token endpoint auth: client_secret_basic (default) or client_secret_post,
    one of them per client (--token-auth-method); the other is refused;
  * id token signed RS256 with a 2048-bit key generated at start (one key in JWKS);
  * scopes `openid email profile groups` put `email`, `name` and `groups` (a list
    of group names) in the id token and the userinfo response;
  * the client is trusted, so there is no consent page.
Login is two pages: the user name (or e-mail) page, then the password page.
Every user's user name is its e-mail address.
"""

import argparse
import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit


def parse_user(spec):
    try:  # the password may contain ':', the e-mail and group names may not
        email, rest = spec.split(":", 1)
        password, groups = rest.rsplit(":", 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected EMAIL:PASSWORD:GROUP1,GROUP2, got {spec!r}")
    return email, password, [g for g in groups.split(",") if g]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    p.add_argument("--issuer-host", default="127.0.0.1", help="host name in the issuer URL")
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--redirect-uri", action="append", required=True, help="repeatable")
    p.add_argument("--post-logout-redirect-uri", action="append", default=[], help="repeatable")
    p.add_argument("--user", action="append", type=parse_user, default=[],
                   metavar="EMAIL:PASSWORD:GROUP1,GROUP2", help="repeatable")
    p.add_argument("--state-dir", required=True, help="gets public-jwks.json and setup.json")
    p.add_argument("--token-auth-method", default="client_secret_basic",
                   choices=["client_secret_basic", "client_secret_post"],
                   help="the one method the token endpoint accepts from the client")
    p.add_argument("--token-lifetime", type=int, default=3600, help="seconds: id token exp-iat and access token expires_in")
    return p.parse_args()


def main():
    args = parse_args()
    state = Path(args.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    # Read no canaille.toml / .env from the working directory: all configuration is below.
    os.environ["CANAILLE_CONFIG"] = str(state / "no-such-canaille.toml")
    os.environ.pop("CANAILLE_ENV", None)

    from joserfc.jwk import RSAKey
    from werkzeug.serving import make_server

    # Bind first so that --port 0 works: the issuer needs the real port.
    app = None
    server = make_server("127.0.0.1", args.port, lambda env, start: app(env, start), threaded=True)
    port = server.socket.getsockname()[1]
    issuer = f"http://{args.issuer_host}:{port}"

    key = RSAKey.generate_key(2048, auto_kid=True)
    redirect_hosts = sorted({urlsplit(u).hostname for u in args.redirect_uri})
    config = {
        "SECRET_KEY": secrets.token_hex(32),
        "SERVER_NAME": f"{args.issuer_host}:{port}",  # the issuer is http://SERVER_NAME
        "PREFERRED_URL_SCHEME": "http",
        "OAUTH2_TOKEN_EXPIRES_IN": {"authorization_code": args.token_lifetime},
        "CANAILLE": {
            "NAME": "Test OIDC provider",
            "DATABASE": "memory",
            "ENABLE_PASSWORD_RECOVERY": False,
            "ENABLE_INTRUDER_LOCKOUT": False,
            "EMAIL_CONFIRMATION": False,
            "CAPTCHA_ENABLED": False,
            "SMTP": None,
            # Plain HTML forms: no htmx live validation racing a headless browser.
            "JAVASCRIPT": False,
            "HTMX": False,
        },
        "CANAILLE_OIDC": {
            "ACTIVE_JWKS": [key.as_dict(private=True)],
            "REQUIRE_NONCE": True,
            # A client whose client_uri host is listed here gets no consent page.
            "TRUSTED_DOMAINS": redirect_hosts,
        },
    }

    import canaille
    from canaille.app import models
    from canaille.oidc.provider import OpenIDCode

    # The id token's exp - iat is this Authlib class constant (3600 by default).
    OpenIDCode.DEFAULT_EXPIRES_IN = args.token_lifetime

    flask_app = canaille.create_app(config=config)
    with flask_app.app_context():
        backend = flask_app.backend
        groups = {}
        for email, password, group_names in args.user:
            user = models.User(user_name=email, emails=[email], password=password,
                               formatted_name=email.split("@")[0],
                               display_name=email.split("@")[0])
            backend.save(user)
            for name in group_names:
                if name not in groups:
                    groups[name] = models.Group(display_name=name, members=[user])
                else:
                    groups[name].members = groups[name].members + [user]
                backend.save(groups[name])
        client = models.Client(
            client_id=args.client_id,
            client_secret=args.client_secret,
            client_name=args.client_id,
            client_uri=f"{urlsplit(args.redirect_uri[0]).scheme}://{urlsplit(args.redirect_uri[0]).netloc}",
            redirect_uris=args.redirect_uri,
            post_logout_redirect_uris=args.post_logout_redirect_uri,
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            scope=["openid", "email", "profile", "groups", "offline_access"],
            token_endpoint_auth_method=args.token_auth_method,
            id_token_signed_response_alg="RS256",
        )
        backend.save(client)
        client.audience = [client]
        backend.save(client)

    (state / "public-jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}, indent=2))
    (state / "setup.json").write_text(json.dumps({
        "issuer": issuer, "client_id": args.client_id, "redirect_uris": args.redirect_uri,
        "users": {email: groups_ for email, _, groups_ in args.user}}, indent=2))

    app = flask_app
    # A parent may have started us with signals blocked (Foundation's Process on Linux does):
    # let SIGTERM and SIGINT stop the provider as they would anywhere.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"issuer {issuer}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
