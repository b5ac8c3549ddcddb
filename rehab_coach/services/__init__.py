"""The use cases every entry point calls: the only door into the clinic's data and rules."""
