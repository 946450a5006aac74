"""What the server decides before Ray starts: the token file, the options of ``serve`` and of
a RayService, and the files a request may name. No Ray instance runs here."""

from __future__ import annotations

import stat

import pytest

from t2ia_desktop.cli.main import main
from t2ia_desktop.core.conditions.registry import default_registry
from t2ia_desktop.core.errors import BadInput
from tests.builders import control, request

pytest.importorskip("ray")
pytestmark = pytest.mark.server


def test_the_first_serve_makes_a_token_only_its_owner_reads(tmp_path):
    from t2ia_desktop.remote.tokens import ensure_token, read_token

    path = tmp_path / "data" / "server-token"
    token, created = ensure_token(path)
    assert created
    assert len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_token(path) == (token, False)
    assert read_token(path) == token
    path.write_text("short\n")
    with pytest.raises(BadInput, match="does not hold a token"):
        read_token(path)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--min-replicas", "2"], "--min-replicas and --max-replicas go together"),
    (["--min-replicas", "3", "--max-replicas", "2"], "--min-replicas 3 is more than"),
    (["--replicas", "2", "--min-replicas", "1", "--max-replicas", "2"], "not both"),
    (["--models", "/no/such/folder"], "--models /no/such/folder: no such folder"),
])
def test_serve_refuses_clashing_options_before_ray_starts(arguments, message, capsys):
    assert main(["serve", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_a_request_names_only_hub_ids_the_demo_model_and_the_server_folders(tmp_path):
    from t2ia_desktop.server.options import Refused, ServerOptions, check_request

    models = tmp_path / "models"
    (models / "mine").mkdir(parents=True)
    options = ServerOptions(token="x" * 20, model_folders=(str(models),))
    registry = default_registry()
    check_request(request("demo"), options, registry)
    check_request(request("stabilityai/stable-diffusion-xl-base-1.0"), options, registry)
    check_request(request(models / "mine"), options, registry)
    for outside in (request(tmp_path), request(str(models / ".." / "x")),
                    request("demo", loras=((str(tmp_path / "style.safetensors"), 1.0),)),
                    request("demo", controls=(control(adapter=str(tmp_path)),))):
        with pytest.raises(Refused, match="is not on this server") as refused:
            check_request(outside, options, registry)
        assert refused.value.status == 403
    with pytest.raises(BadInput, match="unknown condition 'nope'"):
        check_request(request("demo", controls=(control("nope"),)), options, registry)


def test_the_rayservice_entry_needs_a_token_and_reads_its_args(monkeypatch):
    from t2ia_desktop.server.entry import build

    monkeypatch.delenv("T2IA_SERVER_TOKEN", raising=False)
    with pytest.raises(BadInput, match="never runs without a token"):
        build({})
    monkeypatch.setenv("T2IA_SERVER_TOKEN", "k" * 32)
    app = build({"min_replicas": 1, "max_replicas": 4, "num_gpus": 1, "models": ["/models"]})
    assert type(app).__name__ == "Application"


def test_a_request_survives_the_wire_and_bad_wire_data_is_one_line(tmp_path):
    from t2ia_desktop.remote.wire import decode_request, encode_request
    from tests.builders import request_state

    lora = tmp_path / "a.safetensors"
    lora.write_bytes(b"{}")
    sent = request("demo", controls=(control(), control("depth", mode="RGB", shade=90)),
                   loras=((str(lora), 0.5),), original_size=(512, 512))
    data, images = encode_request(sent)
    assert request_state(decode_request(data, dict(images))) == request_state(sent)
    with pytest.raises(BadInput, match="^malformed request: unknown field 'bogus'$"):
        decode_request({**data, "bogus": 1}, dict(images))
    with pytest.raises(BadInput, match="which was not uploaded"):
        decode_request(data, {})


def test_each_control_keeps_its_guide_over_the_wire():
    from t2ia_desktop.remote.wire import decode_request, encode_request

    sent = request("demo", controls=(control("canny", guide="controlnet"),
                                     control("depth-zoe", guide="union", mode="RGB"),
                                     control("sketch")))
    data, images = encode_request(sent)
    received = decode_request(data, dict(images))
    assert [(c.condition, c.guide) for c in received.controls] == [
        ("canny", "controlnet"), ("depth-zoe", "union"), ("sketch", "adapter")]
