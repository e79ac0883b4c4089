from netdesk.cli import main

main()
