from verifygrad.cli import main

main()
