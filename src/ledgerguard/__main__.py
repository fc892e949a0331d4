from ledgerguard.cli import main

main()
