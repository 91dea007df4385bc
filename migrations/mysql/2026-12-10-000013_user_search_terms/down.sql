DROP TABLE user_counts;
DROP TABLE user_search_terms;
