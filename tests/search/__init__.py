"""Tests of scheduler.search: the greedy start, the weekly plan, region steps, swaps."""
