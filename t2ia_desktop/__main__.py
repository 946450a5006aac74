from t2ia_desktop.cli import main

raise SystemExit(main())
