from dockerctl.entry import main

main()
