//! Tableau Server repository: the table specs for each dataset.
