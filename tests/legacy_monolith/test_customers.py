from tests.legacy_monolith.conftest import assert_error


def test_register_gives_a_token_that_works(anon):
    response = anon.post(
        "/api/auth/register/",
        {
            "username": "newbie",
            "password": "long-enough",
            "email": "new@shop.example",
            "first_name": "New",
            "last_name": "Bie",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["customer"]["username"] == "newbie"
    anon.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert anon.get("/api/customers/me/").json()["email"] == "new@shop.example"


def test_register_explains_every_bad_field(anon):
    response = anon.post(
        "/api/auth/register/",
        {"username": "customer0001", "password": "short", "email": "not-an-email"},
        format="json",
    )
    error = assert_error(response, 400, "validation_error")
    assert error["fields"]["username"] == ["That username is taken."]
    assert "at least 8 characters" in error["fields"]["password"][0]
    assert "email" in error["fields"]


def test_token_for_a_seeded_customer(anon):
    response = anon.post(
        "/api/auth/token/",
        {"username": "customer0002", "password": "shop-demo-pass"},
        format="json",
    )
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_token_with_a_wrong_password_is_refused(anon):
    response = anon.post(
        "/api/auth/token/", {"username": "customer0002", "password": "nope"}, format="json"
    )
    assert_error(response, 400, "validation_error", field="non_field_errors")


def test_me_needs_authentication(anon):
    response = anon.get("/api/customers/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_me_shows_and_updates_the_profile(alice):
    me = alice.get("/api/customers/me/").json()
    assert me["username"] == "customer0001"
    response = alice.patch(
        "/api/customers/me/", {"phone": "+49 1", "first_name": "Al"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["first_name"]) == ("+49 1", "Al")


def test_me_rejects_someone_elses_default_address(alice, bob):
    bobs = bob.get("/api/customers/addresses/").json()["results"][0]["id"]
    response = alice.patch("/api/customers/me/", {"default_address": bobs}, format="json")
    assert_error(response, 400, "validation_error", field="default_address")


def test_address_crud(alice):
    created = alice.post(
        "/api/customers/addresses/",
        {
            "label": "cabin",
            "line1": "Seeweg 1",
            "city": "Graz",
            "postcode": "8010",
            "country": "at",
        },
        format="json",
    )
    assert created.status_code == 201
    address = created.json()
    assert address["country"] == "AT"
    url = f"/api/customers/addresses/{address['id']}/"
    assert alice.get(url).json()["city"] == "Graz"
    put = {**address, "city": "Linz"}
    assert alice.put(url, put, format="json").json()["city"] == "Linz"
    assert alice.patch(url, {"label": "hut"}, format="json").json()["label"] == "hut"
    assert alice.delete(url).status_code == 204
    assert_error(alice.get(url), 404, "not_found")


def test_addresses_are_private(alice, bob, anon):
    bobs = bob.get("/api/customers/addresses/").json()["results"][0]["id"]
    assert_error(alice.get(f"/api/customers/addresses/{bobs}/"), 404, "not_found")
    assert_error(anon.get("/api/customers/addresses/"), 401, "not_authenticated")


def test_address_validation(alice):
    response = alice.post(
        "/api/customers/addresses/",
        {"line1": "x", "city": "y", "postcode": "1", "country": "D1"},
        format="json",
    )
    error = assert_error(response, 400, "validation_error", field="country")
    assert "two-letter" in error["fields"]["country"][0]
