from convviz.cli import main

if __name__ == "__main__":  # not when a trainer process (spawn) imports it
    raise SystemExit(main())
