"""Shared helpers of the convolution tests."""

from hypothesis import strategies as st


geom = st.tuples(
    st.integers(1, 2), st.integers(1, 3), st.integers(4, 9), st.integers(4, 9),   # N C H W
    st.integers(1, 3), st.integers(1, 3),                                          # kh kw
    st.integers(1, 2), st.integers(1, 2), st.integers(0, 2), st.integers(0, 2),   # s, p
    st.integers(1, 2), st.integers(1, 2),                                          # d
)
