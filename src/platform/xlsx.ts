/**
 * Rows as an XLSX workbook, one sheet per entry (written by exceljs). exceljs is loaded
 * on the first workbook, not at start: it costs every process that never writes one
 * (each CLI command, the server's start) about a quarter of a second of CPU.
 */
export async function toXlsx(sheets: Record<string, Array<Array<string | number>>>): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Uurwerk';
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const r of rows) ws.addRow(r);
    ws.getRow(1).font = { bold: true };
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
