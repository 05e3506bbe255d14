def test_owner_sees_home(cast, login):
    response = login(cast.owner).get("/")
    assert response.status_code == 200
    assert b"Acme" in response.content


def test_me_answers_workspace_of_key(cast, make_key, api):
    response = api("get", "/api/v1/me", key=make_key(cast.workspace, ["read"]))
    assert response.status_code == 200
    assert response.json()["workspace"]["name"] == "Acme"
    assert response.json()["scopes"] == ["read"]
