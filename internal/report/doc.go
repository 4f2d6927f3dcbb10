// Package report renders roomwatch's paper-replacing documents for the bureau
// (甲方): the inspection check sheet, the daily O&M log (每日运维服务日志), the
// monthly fault summary (每月故障总结报告), the quarterly device and system
// report (季度设备与系统报告) and the asset inventory (信息资产统计).
//
// Each report has a gathering step over small source interfaces declared here
// (tickets, ticket history, inspections, a PromQL querier, the inventory and
// the agent registry; thin adapters over the stores implement them) that yields
// a plain data value with the numbers, and a Document built from it that
// renders to print-ready A4 HTML and to an Excel workbook (one sheet per
// section). docs/reports.md says where every number comes from.
//
// It owns the report data, the documents and their templates; the collector
// serves them (collector/wire_report.go, and the check sheet through
// inspect/api) and the CLI prints them (collector/cli/report.go, inspect.go).
package report
