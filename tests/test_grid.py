"""lib.data.grid_points: the one grid every picture and every approximation error uses."""
from __future__ import annotations

import numpy as np
import pytest

from lib.data import grid_points


def test_two_d_grid_is_numpys_meshgrid_with_x1_fastest():
    P, (xx, yy) = grid_points([(-1, 1), (0, 4)], 5)
    assert P.shape == (25, 2) and xx.shape == yy.shape == (5, 5)
    assert P[:5, 0].tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]       # x1 varies fastest
    assert P[:5, 1].tolist() == [0.0] * 5
    assert yy[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]          # row j is x2 = yy[j, 0]
    np.testing.assert_array_equal(P, np.column_stack([xx.ravel(), yy.ravel()]))


def test_midpoints_are_cell_centres_in_any_dimension():
    P, mesh = grid_points([(0, 1)] * 3, 4, midpoints=True)
    assert P.shape == (64, 3) and len(mesh) == 3
    assert sorted(set(P[:, 2].tolist())) == [0.125, 0.375, 0.625, 0.875]
    assert len({tuple(p) for p in P}) == 64                         # every cell once


def test_bad_boxes_and_resolutions_are_refused():
    with pytest.raises(ValueError, match="resolution"):
        grid_points([(0, 1)], 0)
    with pytest.raises(ValueError, match="pair per axis"):
        grid_points([(0, 1, 2)], 3)
