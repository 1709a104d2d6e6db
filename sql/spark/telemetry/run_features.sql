SELECT run_uuid, time,
       fx_1, fx_2, fy_1, fy_2, fz_1, fz_2, x_1, x_2, y_1, y_2, z_1, z_2,
       vx_1, vy_1, vz_1, vx_2, vy_2, vz_2,
       ax_1, ay_1, az_1, ax_2, ay_2, az_2,
       sqrt(vx_1 * vx_1 + vy_1 * vy_1 + vz_1 * vz_1) AS v1,
       sqrt(vx_2 * vx_2 + vy_2 * vy_2 + vz_2 * vz_2) AS v2,
       sqrt(ax_1 * ax_1 + ay_1 * ay_1 + az_1 * az_1) AS a1,
       sqrt(ax_2 * ax_2 + ay_2 * ay_2 + az_2 * az_2) AS a2,
       sqrt(fx_1 * fx_1 + fy_1 * fy_1 + fz_1 * fz_1) AS f1,
       sqrt(fx_2 * fx_2 + fy_2 * fy_2 + fz_2 * fz_2) AS f2,
       d1, d2,
       sqrt((x_1 - x_2) * (x_1 - x_2) + (y_1 - y_2) * (y_1 - y_2) + (z_1 - z_2) * (z_1 - z_2)) AS tool_gap,
       encoder_1_filled, encoder_2_filled, load_cell_1_filled, load_cell_2_filled
FROM telemetry.run_grid
