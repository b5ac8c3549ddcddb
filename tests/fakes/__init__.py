"""Local fakes of the providers' HTTP APIs: the connectors under test are the real ones, pointed at these."""
