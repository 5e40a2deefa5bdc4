from tui_es.cli import main

main()
