"""End-to-end tests: real browsers play Connect Four against the real server.

One file per feature of the page. The tests check what a user would notice on
screen: checkers, the status box, links, what a screen reader hears, and that
nothing on the first page moves or scrolls. pages.py names what the page shows
and does; conftest.py opens the pages.

A package, so that its conftest.py and test files don't clash with those of
tests/ by name.

"""
