"""Operations: checks that the shop's books agree with each other after a fault (`flask ops reconcile`)."""
