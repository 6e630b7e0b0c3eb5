from convviz.cli import main

raise SystemExit(main())
