from dockerctl.cli.app import main

main()
