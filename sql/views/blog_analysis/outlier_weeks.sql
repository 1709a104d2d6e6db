-- Weeks whose vote count deviates from the mean weekly count by more than 20%:
-- |1 - x_i / mean| > 0.2, the mean taken over the weeks that have votes.
-- Weeks start on Monday; days before the year's first Monday are week 0 (strftime %W).
CREATE OR REPLACE VIEW blog_analysis.outlier_weeks AS
WITH weekly AS (
    SELECT
        CAST(year(CreationDate) AS INTEGER)               AS Year,
        CAST(strftime(CreationDate, '%W') AS INTEGER)     AS WeekNumber,
        count(*)                                          AS VoteCount
    FROM blog_analysis.votes
    GROUP BY ALL
),
mean_week AS (
    SELECT avg(VoteCount) AS mean_votes FROM weekly
)
SELECT Year, WeekNumber, VoteCount
FROM weekly, mean_week
WHERE abs(1 - VoteCount / mean_votes) > 0.2
ORDER BY Year, WeekNumber;
