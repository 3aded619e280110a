"""`flask users create` and the development-only demo accounts."""

from lms.accounts import services


def test_create_prompts_for_the_password(runner, app):
    result = runner.invoke(
        args=["users", "create", "--role", "trainer", "--username", "trainer-cli"],
        input="a good long passphrase\na good long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = services.find_user("trainer-cli")
    assert user.role.value == "trainer"
    assert "a good long passphrase" not in user.password_hash


def test_create_refuses_empty_and_common_passwords(runner):
    for password in ["password123", " "]:
        result = runner.invoke(
            args=["users", "create", "--role", "admin", "--username", "weak-admin"],
            input=f"{password}\n{password}\n",
        )
        assert result.exit_code != 0
        assert services.find_user("weak-admin") is None


def test_demo_accounts_are_refused_outside_development(runner):
    result = runner.invoke(args=["users", "demo"])
    assert result.exit_code != 0
    assert services.find_user("demo-admin") is None


def test_demo_accounts_in_development(runner, app):
    app.config["DEMO_ACCOUNTS"] = True
    try:
        result = runner.invoke(args=["users", "demo"])
    finally:
        app.config["DEMO_ACCOUNTS"] = False
    assert result.exit_code == 0, result.output
    for role in ["learner", "trainer", "manager", "admin"]:
        assert services.find_user(f"demo-{role}").role.value == role
        assert f"demo-{role}-pass-2026" in result.output
