"""Organisations (clients): API keys kept only as hashes, and exact embed origins."""

import pytest
from sqlalchemy import text

from tests.services.support import World
from widget_server.domain.errors import Unauthorized, ValidationFailed
from widget_server.domain.models import ApiKey, Organisation
from widget_server.services import organisations


def authenticate(world: World, key: object) -> str:
    with world.db.read_session() as s:
        return organisations.authenticate(s, key)  # type: ignore[arg-type]


def test_every_key_authenticates_as_its_own_organisation(world: World) -> None:
    # Secrets are URL-safe base64 and often contain "_", the key's own separator: ten keys
    # make it near certain that at least one does.
    created = [world.organisation(f"Org {i}", (f"https://o{i}.example",)) for i in range(10)]
    for org_id, key in created:
        assert key.startswith("wsk_")
        assert authenticate(world, key) == org_id


def test_a_key_is_not_stored_in_clear(world: World) -> None:
    _, key = world.organisation()
    secret = key.split("_", 2)[2]
    with world.db.read_session() as s:
        rows = s.execute(text("SELECT * FROM api_key")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert rows and secret not in stored and key not in stored


@pytest.mark.parametrize("mangle", [
    lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),   # wrong secret
    lambda key: "wsk_00000000_" + key.split("_", 2)[2],          # wrong prefix
    lambda key: "sk_" + key.split("_", 1)[1],                    # wrong key kind
    lambda key: key[:-5],                                        # cut short
    lambda key: "",
    lambda key: "garbage",
    lambda key: "wsk__",
    lambda key: None,
], ids=["wrong-secret", "wrong-prefix", "wrong-kind", "truncated", "empty", "garbage",
        "separators-only", "none"])
def test_a_wrong_key_is_unauthorized(world: World, mangle: object) -> None:
    _, key = world.organisation()
    with pytest.raises(Unauthorized):
        authenticate(world, mangle(key))  # type: ignore[operator]


def test_one_organisations_prefix_with_anothers_secret_is_refused(world: World) -> None:
    _, key_a = world.organisation("A", ("https://a.example",))
    _, key_b = world.organisation("B", ("https://b.example",))
    prefix_a = key_a.split("_", 2)[1]
    secret_b = key_b.split("_", 2)[2]
    with pytest.raises(Unauthorized):
        authenticate(world, f"wsk_{prefix_a}_{secret_b}")


@pytest.mark.parametrize("origin", [
    "https://example.org/embed",      # a path
    "https://*.example.org",          # a wildcard
    "*",
    "example.org",                    # no scheme
    "//example.org",
    "ftp://example.org",
    "https://example.org?x=1",
    "https://example.org#frag",
    "https://user@example.org",
    "https://",
])
def test_a_bad_origin_is_refused_and_nothing_is_stored(world: World, origin: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.organisation(origins=("https://good.example", origin))
    assert "origins" in caught.value.fields
    assert world.count(Organisation) == 0
    assert world.count(ApiKey) == 0


def test_origins_are_normalised_to_scheme_host_port(world: World) -> None:
    org_id, _ = world.organisation(origins=("HTTPS://Lectures.Example.EDU/",
                                            "http://localhost:8080",
                                            "https://lectures.example.edu"))
    with world.db.read_session() as s:
        assert organisations.embed_origins(s, org_id) == [
            "http://localhost:8080", "https://lectures.example.edu"]


@pytest.mark.parametrize(("name", "origins"), [("", ("https://a.example",)),
                                                ("   ", ("https://a.example",)),
                                                ("x" * 201, ("https://a.example",)),
                                                ("Fine", ())])
def test_an_organisation_needs_a_name_and_an_origin(world: World, name: str,
                                                    origins: tuple[str, ...]) -> None:
    with pytest.raises(ValidationFailed):
        world.organisation(name, origins)
    assert world.count(Organisation) == 0


# normalise_origin (widget_server/domain/origins.py) promises "exact scheme://host[:port], the
# unit browsers use for frame-ancestors and CORS".
@pytest.mark.parametrize("origin", [
    "https://example.org:99999", "https://example.org:abc",
    "https://[::1", "https://a.example]"])
def test_an_origin_with_a_bad_port_or_host_is_a_validation_error(world: World, origin: str) -> None:
    with pytest.raises(ValidationFailed):
        world.organisation(origins=(origin,))


@pytest.mark.parametrize("origin", ["https://a.example;sandbox", "https://a.example,b.example",
                                    "https://a.example%20b", "https://a.example'"])
def test_an_origin_whose_host_has_foreign_characters_is_refused(world: World,
                                                                origin: str) -> None:
    with pytest.raises(ValidationFailed):
        world.organisation(origins=(origin,))


@pytest.mark.parametrize(("given", "serialised"), [
    ("https://[::1]:8080", "https://[::1]:8080"),
    ("https://a.example:443", "https://a.example"),
    ("http://a.example:80", "http://a.example"),
])
def test_origins_are_stored_as_browsers_serialise_them(world: World, given: str,
                                                       serialised: str) -> None:
    org_id, _ = world.organisation(origins=(given,))
    with world.db.read_session() as s:
        assert organisations.embed_origins(s, org_id) == [serialised]
