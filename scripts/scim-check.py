#!/usr/bin/env python3
"""Checks sensor-ingest's SCIM service with SCIM software nobody here wrote.

    scripts/scim-check.py compliance BASE_URL TOKEN   # scim2-tester: every check of what the
                                                      # ServiceProviderConfig claims
    scripts/scim-check.py client BASE_URL TOKEN       # scim2-client: what an identity provider
                                                      # does (create, find, update, deactivate)

BASE_URL is the SCIM root (http://127.0.0.1:PORT/scim/v2), TOKEN an admin token. `compliance`
prints one line per check that did not pass and ends with "N passed, N failed, N skipped"
(exit 1 when any failed). `client` prints one JSON document of what the server answered.
Needs the PyPI packages scim2-tester, scim2-client and httpx (scripts/python-tools.sh).
"""
import json
import sys

import httpx
from scim2_client import BaseSyncSCIMClient, RequestNetworkException


class Client(BaseSyncSCIMClient):
    """scim2-client over httpx."""

    def __init__(self, http, **options):
        super().__init__(**options)
        self.http = http

    def _parse_json(self, response):
        return response.json()

    def request(self, method, url, **options):
        try:
            return self.http.request(method, url, **options)
        except httpx.RequestError as error:
            raise RequestNetworkException() from error


def compliance(client):
    from scim2_tester import Status, check_server

    results = check_server(client)
    failed = [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    for result in failed:
        print(result.status.name, result.resource_type, result.title, result.reason)
    skipped = sum(r.status is Status.SKIPPED for r in results)
    print(f"{sum(r.status is Status.SUCCESS for r in results)} passed, {len(failed)} failed, {skipped} skipped")
    return 1 if failed else 0


def identity_provider(client):
    """Pushes a small directory as an identity provider does and reports what came back."""
    from scim2_models import Email, Group, GroupMember, Name, PatchOp, PatchOperation, SearchRequest, User

    client.discover()
    report = {}
    ada = client.create(User(user_name="ada@acme.com", name=Name(given_name="Ada", family_name="Lovelace"),
                             display_name="Ada Lovelace", emails=[Email(value="ada@acme.com", type="work", primary=True)],
                             active=True, external_id="okta-ada"))
    bob = client.create(User(user_name="bob@acme.com", display_name="Bob", active=True))
    report["created"] = [ada.id, bob.id]
    # Before creating, a provider looks the user up by name.
    found = client.query(User, query_parameters=SearchRequest(filter='userName eq "ADA@acme.com"'))
    report["found"] = [user.id for user in found.resources or []]
    none = client.query(User, query_parameters=SearchRequest(filter='userName eq "nobody@acme.com"'))
    report["found_none"] = none.total_results
    platform = client.create(Group(display_name="Platform", members=[GroupMember(value=ada.id, type="User")]))
    report["group"] = platform.id
    # A member added, then the group renamed, by PATCH.
    client.modify(Group, platform.id, PatchOp[Group](operations=[
        PatchOperation[Group](op="add", path="members", value=[GroupMember(value=bob.id, type="User")])]))
    client.modify(Group, platform.id, PatchOp[Group](operations=[
        PatchOperation[Group](op="replace", path="displayName", value="Platform Engineering")]))
    group = client.query(Group, platform.id)
    report["group_name"] = group.display_name
    report["group_members"] = sorted(member.value for member in group.members or [])
    # Ada's name changes (PUT), Bob leaves (deactivated by PATCH, as providers do).
    ada.display_name = "Ada King"
    client.replace(ada)
    client.modify(User, bob.id, PatchOp[User](operations=[PatchOperation[User](op="replace", path="active", value=False)]))
    report["ada_name"] = client.query(User, ada.id).display_name
    report["bob_active"] = client.query(User, bob.id).active
    report["ada_groups"] = [group.display for group in client.query(User, ada.id).groups or []]
    # A member removed by a value filter (what one provider sends).
    client.modify(Group, platform.id, PatchOp[Group](operations=[
        PatchOperation[Group](op="remove", path=f'members[value eq "{bob.id}"]')]))
    report["group_members_after_removal"] = sorted(member.value for member in client.query(Group, platform.id).members or [])
    duplicate = client.create(User(user_name="ada@acme.com"), raise_scim_errors=False, expected_status_codes=None)
    report["duplicate_status"] = getattr(duplicate, "status", None)
    print(json.dumps(report))
    return 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("compliance", "client"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, base, token = sys.argv[1:]
    http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = Client(http)
    return compliance(client) if mode == "compliance" else identity_provider(client)


if __name__ == "__main__":
    sys.exit(main())
