"""Command line: the GUI by default, and headless commands for scripting and tests.

Bad input exits with status 2 and one line on stderr, before anything is written. Torch is
imported only by the commands that need it, so ``--version`` and the GUI start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from t2ia_desktop import __version__
from t2ia_desktop.cli.batch import add_batch_parser
from t2ia_desktop.cli.bench_gpu import add_gpu_bench_options, gpu_bench_command
from t2ia_desktop.cli.device import add_device_options
from t2ia_desktop.cli.failures import fail, os_error_message, quiet_broken_pipe, unexpected
from t2ia_desktop.cli.generate import generate_command, split_pair
from t2ia_desktop.cli.outputs import check_output, checked_control, save_picture
from t2ia_desktop.cli.remote import add_server_options
from t2ia_desktop.cli.sampling import add_sampling_options
from t2ia_desktop.cli.sdxl import add_sdxl_options
from t2ia_desktop.cli.serve import add_serve_parser
from t2ia_desktop.core.conditions.guides import GUIDES
from t2ia_desktop.core.conditions.registry import FAMILIES
from t2ia_desktop.core.errors import BadInput, Cancelled, T2IAError
from t2ia_desktop.core.generation.request import SCHEDULERS
from t2ia_desktop.core.settings import current_annotators_root

PROG = "t2ia-desktop"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line instead of usage + error
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Draw, detect and generate with T2I-Adapters.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_plugins_option(parser, "plugins_before")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = commands.add_parser("gui", help="open the app (the default)")
    gui.add_argument("project", nargs="?", metavar="PROJECT.t2ia",
                     help="a project (or an OpenRaster file) to open in it")

    gen = commands.add_parser("generate", help="generate one image without a window")
    gen.add_argument("--settings", metavar="FILE",
                     help="start from the Generate settings of a project (.t2ia), a settings "
                          "JSON or a picture that carries them; the options below win")
    gen.add_argument("--model",
                     help="a diffusers folder, a hub id, or 'demo' for the built-in demo model")
    gen.add_argument("--family", choices=FAMILIES, help="model family (read from a folder)")
    gen.add_argument("--prompt")
    gen.add_argument("--negative-prompt")
    gen.add_argument("--prompt-2", help="SDXL's second text encoder prompt")
    gen.add_argument("--control", action="append", default=[], metavar="CONDITION=IMAGE",
                     help="a control image for a condition (repeatable)")
    gen.add_argument("--scale", action="append", type=float, default=[], metavar="FLOAT",
                     help="conditioning scale of the i-th --control, 0 to 2 (default 1.0)")
    gen.add_argument("--guide", action="append", choices=GUIDES, default=[],
                     help="what reads the i-th --control (the i-th --guide goes with the "
                          "i-th --control, as --scale and --range do): adapter (T2I-Adapter, "
                          "the default), controlnet, or union (SDXL's ControlNet Union); e.g. "
                          "--control canny=a.png --guide controlnet")
    gen.add_argument("--factor", type=float,
                     help="step fraction: share of the steps the adapters guide (0 to 1, "
                          "default 1)")
    gen.add_argument("--range", action="append", default=[], metavar="START:END",
                     help="step range of the i-th --control, fractions 0 to 1 (default 0:1)")
    gen.add_argument("--init-image", metavar="IMAGE",
                     help="img2img: start from this picture (default size: its own)")
    gen.add_argument("--strength", type=float,
                     help="img2img/inpainting: how much to repaint, 0 to 1 (default 0.75)")
    gen.add_argument("--mask", metavar="IMAGE",
                     help="inpainting: white where to repaint, black where to keep the "
                          "--init-image (same size as it)")
    gen.add_argument("--steps", type=int, help="denoising steps (default 30)")
    gen.add_argument("--guidance", type=float, help="guidance scale (default 7.5)")
    gen.add_argument("--seed", type=int, help="seed (default 0)")
    gen.add_argument("--width", type=int)
    gen.add_argument("--height", type=int)
    gen.add_argument("--scheduler", choices=list(SCHEDULERS), help="default euler-a")
    gen.add_argument("--raw-control", action="store_true",
                     help="use each IMAGE as the control image as given (no detector)")
    gen.add_argument("--out", required=True, metavar="FILE.png")
    gen.add_argument("--overwrite", action="store_true",
                     help="allow --out to be one of the input files (it is replaced)")
    add_sdxl_options(gen)
    add_sampling_options(gen)
    add_device_options(gen)  # --device, --dtype, --offload
    add_server_options(gen)  # --server, --token-file (cli/remote.py)

    det = commands.add_parser("detect", help="run a condition's detector on an image")
    det.add_argument("condition")
    det.add_argument("input", metavar="IN.png")
    det.add_argument("output", metavar="OUT.png")
    det.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    det.add_argument("--overwrite", action="store_true",
                     help="allow OUT.png to be IN.png (it is replaced)")

    commands.add_parser("conditions", help="list the condition types")

    weights = commands.add_parser(
        "download-weights", help="download detector weights from lllyasviel/Annotators")
    weights.add_argument("names", nargs="+", metavar="CONDITION",
                         help="a condition (openpose, depth-midas…) or a detector (midas, pidinet)")

    export = commands.add_parser(
        "export", help="flatten a project to PNG or convert it to OpenRaster, without a window")
    export.add_argument("project", metavar="PROJECT.t2ia")
    export.add_argument("output", metavar="OUT.png|OUT.ora")

    demo = commands.add_parser("demo-model", help="write the tiny offline demo model")
    demo.add_argument("directory", metavar="DIR")
    demo.add_argument("--family", choices=FAMILIES, default="sdxl")

    bench = commands.add_parser("bench", help="print performance figures as JSON")
    bench.add_argument("--steps", type=_count, default=None,
                       help="denoising steps (default 20; 30 with --gpu)")
    bench.add_argument("--size", type=_side, default=None,
                       help="image side in pixels (default 512; 1024 with --gpu)")
    bench.add_argument("--repeats", type=_count, default=3)
    add_gpu_bench_options(bench)  # --gpu and its options (cli_bench_gpu.py)
    bench.add_argument("--project", action="store_true",
                       help="instead: save and open a large layered project")
    bench.add_argument("--project-size", type=_count, default=4096)
    bench.add_argument("--stroke", action="store_true",
                       help="instead: brush strokes on a large layered canvas (uses "
                            "--project-size and --layers)")
    bench.add_argument("--step-preview", action="store_true",
                       help="instead: time the step preview conversion (latent → RGB)")
    bench.add_argument("--server", action="store_true",
                       help="instead: a local Ray Serve on the demo model: serve to ready, "
                            "per-job time remote ÷ local, 2 ÷ 1 replica throughput (256², "
                            "10 steps unless --size/--steps)")
    bench.add_argument("--layers", type=_count, default=16)
    bench.add_argument("--queue", action="store_true",
                       help="instead: worst UI-thread stall while a queue of --jobs jobs runs "
                            "on the demo model (4 steps, 128×128 each)")
    bench.add_argument("--jobs", type=_count, default=50)
    bench.add_argument("--controls", action="store_true",
                       help="instead: no control, T2I-Adapter, ControlNet, ControlNet Union and "
                            "adapter + ControlNet on the SDXL demo model (default 10 steps, "
                            "256×256): time per image, extra time, parameters, peak memory")
    bench.add_argument("--selection", action="store_true",
                       help="instead: time the marching ants of large complex selections "
                            "(uses --project-size and --repeats)")
    add_serve_parser(commands)  # serve (cli/serve.py)
    add_batch_parser(commands, add_server_options)  # batch (cli/batch.py)
    for command in commands.choices.values():
        _add_plugins_option(command, "plugins")
    return parser


def _count(text: str) -> int:
    """A whole number of at least 1 (steps, repeats, layers, jobs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _side(text: str) -> int:
    """An image side in pixels, 64 to 16384, a multiple of 8."""
    value = _count(text)
    if not 64 <= value <= 16384 or value % 8:
        raise argparse.ArgumentTypeError(f"must be a multiple of 8 from 64 to 16384, not "
                                         f"{value}")
    return value


def _add_safe_mode_option(parser: argparse.ArgumentParser, dest: str) -> None:
    parser.add_argument(
        "--safe-mode", action="store_true", dest=dest,
        default=False if dest == "safe_mode_before" else argparse.SUPPRESS,
        help="load the bundled plugins only: no code of the user's, --plugins' or installed "
             "packages' plugins runs (when a plugin stops the app from starting)")


def _add_plugins_option(parser: argparse.ArgumentParser, dest: str) -> None:
    parser.add_argument(
        "--plugins", action="append", dest=dest, metavar="DIR",
        default=[] if dest == "plugins_before" else argparse.SUPPRESS,
        help="a folder of condition plugins (or one plugin's folder) to load besides the "
             "bundled and user plugins (repeatable)")
    _add_safe_mode_option(parser, dest.replace("plugins", "safe_mode"))


def plugin_folders_of(args: argparse.Namespace) -> list[str]:
    """Every --plugins folder, given before or after the command; each must exist."""
    folders = [*getattr(args, "plugins_before", []), *getattr(args, "plugins", [])]
    for folder in folders:
        if not Path(folder).expanduser().is_dir():
            raise BadInput(f"--plugins {folder}: no such folder")
    return folders


def safe_mode_of(args: argparse.Namespace) -> bool:
    """Whether --safe-mode was given, before or after the command."""
    return bool(getattr(args, "safe_mode_before", False) or getattr(args, "safe_mode", False))


def _registry(args: argparse.Namespace):
    """The built-in conditions and every plugin's; a broken plugin is told on stderr."""
    from t2ia_desktop.core.conditions.plugins import PluginHost, default_plugin_folders

    host = PluginHost(default_plugin_folders(plugin_folders_of(args)), safe_mode=safe_mode_of(args))
    for note in host.take_notes():
        print(f"{PROG}: warning: {note}", file=sys.stderr)
    for record in host.failed():
        print(f"{PROG}: warning: plugin {record.id} ({record.location}) not loaded: "
              f"{record.error}", file=sys.stderr)
    return host.registry


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; every failure ends as one line on stderr (cli/failures.py): status 2,
    130 for Ctrl+C, 141 quietly for a reader that went away (``| head``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and _is_project_argument(args_list[0]):
        args_list.insert(0, "gui")  # t2ia-desktop PROJECT.t2ia: open it in the app
    try:
        return _run(args_list)
    except UsageError as error:
        return fail(str(error))
    except Cancelled:
        return fail("cancelled", status=130)
    except T2IAError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return fail("interrupted", status=130)
    except BrokenPipeError:
        return quiet_broken_pipe()
    except OSError as error:
        return fail(os_error_message(error))
    except MemoryError:
        return fail("out of memory; close other programs, or ask for less (a smaller size)")
    except Exception as error:  # a bug: one line, the traceback in the log
        return unexpected(error, _command_of(args_list))


def _run(args_list: list[str]) -> int:
    args = build_parser().parse_args(args_list)
    command = args.command or "gui"
    folders = plugin_folders_of(args)  # a missing folder is bad input for every command
    from t2ia_desktop.core.paths import check_bundle, is_frozen

    if is_frozen():
        check_bundle()  # an installer's app names the shipped file it cannot find
    if command == "gui":
        from t2ia_desktop.app import run_gui

        extra = {"plugin_folders": folders} if folders else {}
        if safe_mode_of(args):
            extra["safe_mode"] = True
        return run_gui(project=getattr(args, "project", None), **extra)
    status = COMMANDS[command](args)
    sys.stdout.flush()  # a reader that went away is found here, inside the funnel
    return status


def _command_of(args_list: list[str]) -> str:
    known = [argument for argument in args_list if argument in COMMANDS]
    return known[0] if known else PROG


def _is_project_argument(argument: str) -> bool:
    """Whether a first argument is a file for the app to open rather than a command."""
    if argument.startswith("-") or argument in COMMANDS or argument == "gui":
        return False
    return Path(argument).suffix.lower() in (".t2ia", ".ora") or Path(argument).is_file()


def _detect(args: argparse.Namespace) -> int:
    from t2ia_desktop.core.files.imageio import open_image

    condition = _registry(args).get(args.condition)
    out = check_output(args.output, "OUT.png", [("input picture", args.input)], args.overwrite)
    params = {}
    for item in args.param:
        name, value = split_pair(item, "--param", "NAME=VALUE")
        params[name] = condition.param(name).parse(value)
    image = open_image(args.input)
    from t2ia_desktop.cli.downloads import fetching_weights
    from t2ia_desktop.engine.detectors import detect

    control = fetching_weights(detect, current_annotators_root())(condition, image, params)
    save_picture(checked_control(control, condition), out)
    return 0


def _download_weights(args: argparse.Namespace) -> int:
    from t2ia_desktop.cli.downloads import download_weights

    return download_weights(args.names, _registry(args), current_annotators_root())


def _conditions(args: argparse.Namespace) -> int:
    from t2ia_desktop.engine.model_store.weights import annotator_files_present

    annotators = current_annotators_root()
    for condition in _registry(args):
        families = ",".join(condition.adapters)
        if not condition.weight_files:
            weights = "no weights needed"
        elif annotator_files_present(condition.weight_files, annotators):
            weights = "weights present"
        else:
            weights = f"weights missing ({', '.join(condition.weight_files)})"
        print(f"{condition.id}\t{condition.label}\t{families}\t{weights}\t{condition.source}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from t2ia_desktop.core.files.imageio import check_output_path
    from t2ia_desktop.core.files.project import load_project

    out = check_output_path(args.output, (".png", ".ora"))
    kind = out.suffix.lower()
    project = Path(args.project)
    if project.exists() and out.exists() and out.samefile(project):
        raise BadInput(f"{args.output} is the project itself; choose another output file")
    document, _ = load_project(project)
    if kind == ".ora":
        from t2ia_desktop.core.files.ora import export_ora

        export_ora(document, out)
        return 0
    from t2ia_desktop.core.document.composite import active_result, flatten
    from t2ia_desktop.core.files.imageio import save_png

    result = active_result(document)
    try:
        save_png(flatten(document), out, result.request if result else None)
    except OSError as error:
        raise BadInput(f"Could not save {out}: {os_error_message(error, named=False)}") from None
    return 0


def _demo_model(args: argparse.Namespace) -> int:
    from t2ia_desktop.engine.demo.model import write_demo_model

    folder = write_demo_model(args.directory, args.family)
    print(f"wrote the {args.family} demo model (random weights) to {folder}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.selection:
        from t2ia_desktop.bench.selection import run_selection_bench

        return run_selection_bench(args.project_size, args.repeats)
    if args.stroke:
        from t2ia_desktop.bench.canvas import stroke_figures

        print(json.dumps(stroke_figures(args.project_size, args.layers), indent=2))
        return 0
    if args.project:
        from t2ia_desktop.bench.project import project_figures

        figures = project_figures(args.project_size, args.layers, min(args.repeats, 2))
        print(json.dumps(figures, indent=2))
        return 0
    if args.queue:
        from t2ia_desktop.bench.queue import queue_figures

        print(json.dumps(queue_figures(jobs=max(1, args.jobs)), indent=2))
        return 0
    if args.step_preview:
        from t2ia_desktop.bench.step_previews import step_preview_figures

        print(json.dumps(step_preview_figures(), indent=2))
        return 0
    if args.gpu:
        return gpu_bench_command(args)
    if args.server:
        import contextlib

        from t2ia_desktop.bench.server import server_figures

        with contextlib.redirect_stdout(sys.stderr):  # Ray's notes stay out of the JSON
            figures = server_figures(size=args.size or 256, steps=args.steps or 10,
                                     repeats=args.repeats)
        print(json.dumps(figures, indent=2))
        return 0
    if args.controls:
        from t2ia_desktop.bench.controls import controls_figures, table

        figures = controls_figures(steps=args.steps or 10, size=args.size or 256,
                                   repeats=args.repeats,
                                   say=lambda line: print(line, file=sys.stderr, flush=True))
        print(table(figures))
        print(json.dumps(figures))
        return 0
    from t2ia_desktop.bench.overhead import run_benchmarks

    figures = run_benchmarks(steps=args.steps or 20, size=args.size or 512,
                             repeats=args.repeats)
    print(json.dumps(figures, indent=2))
    return 0


def _generate(args: argparse.Namespace) -> int:
    return generate_command(args, _registry)


def _batch(args: argparse.Namespace) -> int:
    from t2ia_desktop.cli.batch import batch_command

    return batch_command(args)


def _serve(args: argparse.Namespace) -> int:
    from t2ia_desktop.cli.serve import serve_command

    return serve_command(args)


COMMANDS = {
    "generate": _generate, "detect": _detect, "conditions": _conditions,
    "export": _export, "demo-model": _demo_model, "bench": _bench,
    "download-weights": _download_weights, "serve": _serve, "batch": _batch,
}
