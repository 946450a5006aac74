from t2ia_desktop.cli.main import main

raise SystemExit(main())
