from notifications.main import main

main()
