"""The main window: assembles docks, menus and toolbars."""
