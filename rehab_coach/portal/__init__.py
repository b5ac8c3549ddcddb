"""The clinician portal: a FastAPI web app in its own process (`./coach portal`, started by `./coach run`)."""
