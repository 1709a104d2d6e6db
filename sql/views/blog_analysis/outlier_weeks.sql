-- Weeks whose vote count deviates from the mean weekly count by more than 20%:
-- |1 - x_i / mean| > 0.2, the mean taken over the weeks that have votes.
-- Weeks start on Monday; days before the year's first Monday are week 0 (strftime %W).
-- Votes are counted per day first, and the year and week are worked out for each day rather than for
-- each vote: formatting a timestamp as text is the costly part, and a day's votes share their week
-- (10M votes: 0.17-0.21 s to 0.025 s, the same rows).
CREATE OR REPLACE VIEW blog_analysis.outlier_weeks AS
WITH daily AS (
    SELECT CAST(CreationDate AS DATE) AS day, count(*) AS votes
    FROM blog_analysis.votes
    GROUP BY ALL
),
weekly AS (
    SELECT
        CAST(year(day) AS INTEGER)                        AS Year,
        CAST(strftime(day, '%W') AS INTEGER)              AS WeekNumber,
        CAST(sum(votes) AS BIGINT)                        AS VoteCount
    FROM daily
    GROUP BY ALL
),
mean_week AS (
    SELECT avg(VoteCount) AS mean_votes FROM weekly
)
SELECT Year, WeekNumber, VoteCount
FROM weekly, mean_week
WHERE abs(1 - VoteCount / mean_votes) > 0.2
ORDER BY Year, WeekNumber;
