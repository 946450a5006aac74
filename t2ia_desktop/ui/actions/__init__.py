"""Controllers: what the window's menus and tools do, each with the parts it uses."""
