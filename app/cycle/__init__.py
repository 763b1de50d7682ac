"""The Convention 144 cycle: round subjects (art. 5(1)), the yearly view per country (art.
5(2)) and the annual report on the working of the procedures (art. 6)."""
