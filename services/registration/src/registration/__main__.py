from registration.main import main

main()
