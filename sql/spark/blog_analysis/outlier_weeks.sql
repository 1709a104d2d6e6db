WITH weekly AS (
    SELECT year(CreationDate) AS Year,
           -- strftime %W: floor((day of year - 1 + 7 - Monday-based weekday) / 7)
           CAST(floor((dayofyear(CreationDate) - 1 + 7 - ((dayofweek(CreationDate) + 5) % 7)) / 7) AS INT) AS WeekNumber,
           count(*) AS VoteCount
    FROM blog_analysis.votes
    GROUP BY 1, 2
),
mean_week AS (SELECT avg(VoteCount) AS mean_votes FROM weekly)
SELECT Year, WeekNumber, VoteCount
FROM weekly CROSS JOIN mean_week
WHERE abs(1 - VoteCount / mean_votes) > 0.2
