"""Who may do what: sign-in (passwords, a second factor, sessions) and the one
authorisation policy the CLI, the API and the web app all call."""
