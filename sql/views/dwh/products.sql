-- One row per product, with its shelf life range.
CREATE OR REPLACE VIEW dwh.products AS
SELECT product_name,
       count(*)                                              AS readings,
       min(date_diff('day', create_at, product_expire))      AS min_shelf_life_days,
       max(date_diff('day', create_at, product_expire))      AS max_shelf_life_days
FROM dwh.data_sample
GROUP BY product_name;
