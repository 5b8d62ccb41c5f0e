"""The configs the interop tests and load benchmarks write are ones mailtee
accepts (`mailtee check-config`). When the config schema moves, this fails
with mailtee's own message instead of every interop test timing out."""
import pytest

# (client TLS, upstream TLS) pairs the suite uses
COMBOS = [("starttls", "starttls"), ("implicit", "implicit"),
          ("starttls", "implicit"), ("implicit", "starttls")]


@pytest.mark.parametrize("protocol", ["smtp", "pop3"])
def test_tls_combinations_are_accepted(mailtee, protocol):
    for client_tls, up_tls in COMBOS:
        mailtee.add_listener(f"{protocol}-{client_tls}-{up_tls}", protocol, client_tls,
                             10000, up_tls)
    if protocol == "pop3":   # the POP3 load benchmark: plain TCP both legs
        mailtee.add_listener("pop3-bench", "pop3", "none", 10110, "none")
    r = mailtee.check_config()
    assert r.returncode == 0, f"{mailtee.config_xml()}\n{r.stdout}"


def test_account_mode_with_allow_list_is_accepted(mailtee):
    # the SMTP load benchmark's listener (tests/bench/load/smtp_bench.sh)
    mailtee.add_listener("bench", "smtp", "none", 10025, "none", auth_mode="account",
                         account_user="bench", account_password="bench-password",
                         allow=["127.0.0.1/32"])
    r = mailtee.check_config()
    assert r.returncode == 0, f"{mailtee.config_xml()}\n{r.stdout}"

