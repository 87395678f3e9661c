"""The tests, laid out as the package is: tests/<folder>/ tests scheduler/<folder>/."""
