"""The composition root: builds the document, queue, worker, runner and window, and runs them.

Torch is not imported here: the window appears first and the worker thread loads the engine
when the first job arrives.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time

from t2ia_desktop.core.errors import T2IAError
from t2ia_desktop.core.generation.request import DEFAULT_SDXL_MODEL, DEMO_MODEL
from t2ia_desktop.core.paths import (
    app_icon_path,
    demo_model_root,
    history_dir,
    log_dir,
    queue_dir,
)

log = logging.getLogger(__name__)

DEMO_LABEL = "demo (random weights)"
DEMO_CANVAS = 512
SDXL_CANVAS = 1024


def sdxl_in_cache() -> bool:
    """Whether SDXL base is already in the Hugging Face cache (no network is used)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(DEFAULT_SDXL_MODEL, "model_index.json")
        return isinstance(found, str)
    except Exception:
        return False


def model_choices(have_sdxl: bool) -> tuple[list[tuple[str, str, str]], str]:
    """The model menu, best available first, and a status line that says what was chosen."""
    sdxl = ("SDXL base 1.0", DEFAULT_SDXL_MODEL, "sdxl")
    demo = (DEMO_LABEL, DEMO_MODEL, "sdxl")
    if have_sdxl:
        return [sdxl, demo], "Model: SDXL base 1.0"
    return [demo, sdxl], (
        "SDXL base 1.0 is not downloaded: using the demo model (random weights, images are "
        "noise). Choose SDXL in the model list to download it when online."
    )


def with_step_previews(factory, store):
    """``factory``'s engine, drawing step previews as the settings say (TAESD or not); the
    engine module is imported inside the worker thread, when the factory runs."""

    def build():
        engine = factory()
        from t2ia_desktop.engine.taesd import TaesdPreviews

        engine.step_preview_decoder = TaesdPreviews(lambda: store.settings, engine.device,
                                                    engine.dtype)
        return engine

    return build


def setup_logging() -> None:
    from logging.handlers import RotatingFileHandler

    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            folder / "t2ia-desktop.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def remove_leftovers_of_killed_saves() -> None:
    """Temporary files that killed saves left in the app's data folder (settings, queue,
    history, recovery); a project's go at its next save. One being written is never touched."""
    from t2ia_desktop.core.files.atomic_file import remove_stale_temporaries_under
    from t2ia_desktop.core.paths import data_dir

    removed = remove_stale_temporaries_under(data_dir())
    if removed:
        log.info("removed %d temporary files left by killed saves", len(removed))


def _after_show(window, project: str | None) -> None:
    """Offer what a crash left, then open the project asked for on the command line."""
    restored = window.offer_recovery()
    window.queue_control.offer_restore()  # jobs left waiting; then the queue file follows
    if project and restored:
        window.show_message(f"Restored unsaved work; {project} was not opened (File → Open).")
    elif project:
        window.files.open_path(project)


def run_gui(argv: list[str] | None = None, project: str | None = None,
            plugin_folders: list[str] | tuple[str, ...] = (), safe_mode: bool = False) -> int:
    """Open the main window and run the Qt event loop (through qasync) until it closes.

    ``project`` (a .t2ia or .ora file) is opened once the window shows; a file that cannot be
    opened is told in the window, which keeps its new document. ``plugin_folders`` (--plugins)
    are searched for condition plugins besides the bundled and the user's plugins folders;
    ``safe_mode`` (--safe-mode) loads the bundled plugins only. After a start that did not
    finish (the window never showed), safe mode is offered.
    """
    started = time.perf_counter()
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from t2ia_desktop.core.conditions.plugins import PluginHost, default_plugin_folders
    from t2ia_desktop.core.document.document import Document
    from t2ia_desktop.core.generation.jobs import JobQueue
    from t2ia_desktop.core.generation.queue_file import QueueStore
    from t2ia_desktop.core.generation.settings import GenerationSettings
    from t2ia_desktop.core.image_history.store import History
    from t2ia_desktop.core.instance_lock import InstanceLock
    from t2ia_desktop.core.settings import SettingsStore
    from t2ia_desktop.core.start_marker import StartMarker, start_marker_path
    from t2ia_desktop.runtime.condition_updates import ConditionUpdater
    from t2ia_desktop.runtime.downloads import WeightDownloads
    from t2ia_desktop.runtime.engines.choice import EngineChoice, check_server
    from t2ia_desktop.runtime.engines.server_watch import ServerWatch
    from t2ia_desktop.runtime.previews import PreviewScheduler, registry_detect_factory
    from t2ia_desktop.runtime.queue_keeper import QueueKeeper, own_queue_store
    from t2ia_desktop.runtime.runner import JobRunner
    from t2ia_desktop.runtime.worker import EngineWorker, default_engine_factory
    from t2ia_desktop.session.session import Session
    from t2ia_desktop.session.tool_state import ToolState
    from t2ia_desktop.ui.dialogs.plugins import PluginsController
    from t2ia_desktop.ui.dialogs.safe_mode import StartCheck
    from t2ia_desktop.ui.dialogs.settings import SettingsController
    from t2ia_desktop.ui.window.error_funnel import ErrorFunnel
    from t2ia_desktop.ui.window.main_window import MainWindow

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise T2IAError("no display to open a window on (DISPLAY is not set); run it in a "
                        "desktop session, or set QT_QPA_PLATFORM=offscreen for a headless run")
    from t2ia_desktop.core.system_libraries import missing_xcb_message, missing_xcb_packages

    missing = [] if QApplication.instance() else missing_xcb_packages()
    if missing:  # Qt would abort the process: say what to install instead
        raise T2IAError(missing_xcb_message(missing))
    setup_logging()
    # The first instance on this data folder owns its saved queue until it ends (even by kill
    # -9: the system drops the lock); another one leaves that queue alone. Held until exit.
    instance = InstanceLock()
    if not instance.acquire():
        log.info("another instance (%s) holds %s", instance.owner().describe(), instance.path)
    remove_leftovers_of_killed_saves()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("t2ia desktop")
    if app_icon_path().is_file():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(app_icon_path())))
    # A start that did not finish last time (a plugin ended the process) offers safe mode.
    start = StartCheck(StartMarker(start_marker_path()))
    safe_mode = start.begin(safe_mode)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from t2ia_desktop.runtime.gc_guard import UiThreadGarbageCollector

    garbage_collector = UiThreadGarbageCollector(app)

    models, status = model_choices(sdxl_in_cache())
    canvas = SDXL_CANVAS if models[0][1] == DEFAULT_SDXL_MODEL else DEMO_CANVAS
    document = Document.with_sketch_layer(canvas, canvas)
    queue = JobQueue()
    # The artist's settings (env vars still win). The detectors and the weight downloads ask
    # it for the detector weights' folder at each use, so a change in Settings applies at once.
    settings = SettingsStore()
    # One registry for the window, the detector thread and the worker; reloads swap its contents.
    plugins = PluginHost(default_plugin_folders(plugin_folders), safe_mode=safe_mode)
    registry = plugins.registry
    # The engine is this computer's (torch, loaded in the worker thread at the first job) or a
    # server's, as Settings → Engine says at each job; on a server, one worker per replica.
    history = History(history_dir())
    local_engine = with_step_previews(default_engine_factory(str(demo_model_root()), registry),
                                      settings)
    worker = EngineWorker(lambda: EngineChoice(settings.effective, local_engine),
                          history=history)
    runner = JobRunner(queue, worker, more_workers=lambda: EngineWorker(
        lambda: EngineChoice(settings.effective, None), history=history))
    server_watch = ServerWatch(settings.effective, check_server)
    server_watch.parallel_jobs.connect(runner.set_parallel_jobs)
    # Pending jobs are kept in the queue file, written on a thread of its own.
    # (in a second instance on this data folder, in a folder of its own: see queue_keeper)
    own_queue_lock = None  # held while this instance runs
    if instance.held:
        queue_keeper = QueueKeeper(queue, QueueStore(queue_dir()))
    else:
        store, own_queue_lock = own_queue_store(queue_dir())
        queue_keeper = QueueKeeper(queue, store, other_instance=instance.owner())
    # Detectors get a thread of their own (torch loads there too, on the first preview), so a
    # preview never waits behind a generation.
    scheduler = PreviewScheduler(registry_detect_factory(registry, settings.annotators_root))
    conditions = ConditionUpdater(document, registry, scheduler)
    # Detector weights download on a thread of their own, and only when the artist asks.
    downloads = WeightDownloads(annotators=settings.annotators_root)
    # The current tool, brush and colours: shared by the canvas, the tools and their widgets.
    tool_state = ToolState()
    window = MainWindow(
        Session(document, conditions), runner, GenerationSettings.for_models(models),
        tool_state=tool_state, status_message=status, history_folder=history_dir(),
        autosave_seconds=settings.effective().autosave_seconds, downloads=downloads,
        queue_keeper=queue_keeper,
    )
    window.generation.preferences = settings  # Generate's "don't ask again"
    # The window's dialogs live with it; they get the parts they use from it.
    say = window.show_message
    # Help → Plugins…; the Add condition menu and the Condition dock follow a reload.
    plugin_actions = PluginsController(plugins, conditions, window.menuBar(), say, window)
    plugin_actions.missing_weights = lambda files: tuple(downloads.missing(files))
    plugin_actions.reloaded.connect(window.condition_actions.fill_add_condition_menu)
    plugin_actions.reloaded.connect(window.condition_panel.rebuild)
    # Edit → Settings…; the autosave and live mode follow it.
    autosaver = window.autosaver
    settings_actions = SettingsController(
        settings, queue, window.edit_menu, say, window,
        set_autosave_interval=autosaver.set_interval if autosaver is not None else None,
        set_live_opacity=window.live.set_opacity, set_live_steps=window.live.set_live_steps)
    window.live.live_steps_changed.connect(settings_actions.keep_live_steps)
    from t2ia_desktop.ui.dialogs.model_manager import ModelsController

    # Models → Manage models… and Models → Memory; fills the Generate panel's model list.
    models_actions = ModelsController(
        window.generation_settings, registry, downloads, menus=window.menuBar(),
        status_bar=window.statusBar(), say=say, parent=window, settings=settings)
    settings_actions.changed.connect(lambda _settings: models_actions.show_memory())
    # The first-run banner's button: Manage models with SDXL base 1.0 selected.
    window.first_run.get_model_requested.connect(
        lambda: models_actions.open_dialog(select=DEFAULT_SDXL_MODEL))
    # Settings → Engine: the queue runs as many jobs at once as the server has replicas.
    settings_actions.changed.connect(server_watch.refresh)
    server_watch.described.connect(say)
    if settings.effective().engine != "local":
        server_watch.refresh()
    plugin_news = plugin_actions.start_summary()  # safe mode, failures, damaged settings
    if plugin_news:
        window.show_message(f"{plugin_news} {status}")
    funnel = ErrorFunnel(log_hint=str(log_dir()))
    funnel.message.connect(lambda text: window.statusBar().showMessage(text))
    funnel.install()
    window.show()
    QTimer.singleShot(0, start.finished)  # the window shows: this start finished
    # what is loaded by now (Qt, numpy, the app) lives as long as the app; so does the engine
    QTimer.singleShot(0, garbage_collector.freeze_long_lived)
    worker.executor.engine_ready.connect(garbage_collector.freeze_long_lived)
    log.info("window shown %.0f ms after start", (time.perf_counter() - started) * 1000)
    if os.environ.get("T2IA_EXIT_AFTER_SHOW"):  # used by the launch benchmark
        print(f"window-shown {time.monotonic():.6f} torch={'torch' in sys.modules}", flush=True)
        QTimer.singleShot(0, app.quit)
    else:
        QTimer.singleShot(0, lambda: _after_show(window, project))

    app.aboutToQuit.connect(queue_keeper.close)  # first: the jobs stopped by quitting stay
    app.aboutToQuit.connect(runner.shutdown)
    app.aboutToQuit.connect(scheduler.shutdown)
    app.aboutToQuit.connect(downloads.shutdown)
    app.aboutToQuit.connect(models_actions.downloads.shutdown)
    app.aboutToQuit.connect(models_actions.adapter_downloads.shutdown)
    app.aboutToQuit.connect(models_actions.controlnet_downloads.shutdown)
    with loop:
        loop.run_forever()  # returns when the application quits
    instance.release()
    if own_queue_lock is not None:
        own_queue_lock.release()
    return 0
