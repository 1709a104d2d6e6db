SELECT product_name,
       count(*)                                                              AS readings,
       min(datediff(CAST(product_expire AS DATE), CAST(create_at AS DATE)))  AS min_shelf_life_days,
       max(datediff(CAST(product_expire AS DATE), CAST(create_at AS DATE)))  AS max_shelf_life_days
FROM dwh.data_sample
GROUP BY product_name
