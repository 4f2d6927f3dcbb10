# Installs roomwatch-agent as a Windows service (安装 Windows 服务).
# Run in an elevated PowerShell from the folder holding roomwatch-agent.exe:
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-Config C:\roomwatch\agent.yml]
param(
    [string]$InstallDir = "C:\Program Files\roomwatch",
    [string]$Config = "C:\ProgramData\roomwatch\agent.yml",
    [int]$Port = 9110
)
$ErrorActionPreference = "Stop"
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -Force ".\roomwatch-agent.exe" "$InstallDir\roomwatch-agent.exe"
$exe = "$InstallDir\roomwatch-agent.exe"
$args = "--web.listen-address :$Port"
if (Test-Path $Config) {
    & $exe --config $Config --check-config
    if ($LASTEXITCODE -ne 0) { throw "config check failed: fix $Config first" }
    $args = "--config `"$Config`" $args"
}
if (Get-Service roomwatch-agent -ErrorAction SilentlyContinue) {
    Stop-Service roomwatch-agent
    sc.exe delete roomwatch-agent | Out-Null
    Start-Sleep -Seconds 2
}
New-Service -Name roomwatch-agent -DisplayName "roomwatch-agent 主机监控代理" `
    -Description "Host metrics for Prometheus / roomwatch" `
    -BinaryPathName "`"$exe`" $args" -StartupType Automatic | Out-Null
sc.exe failure roomwatch-agent reset= 86400 actions= restart/5000/restart/5000/restart/60000 | Out-Null
New-NetFirewallRule -DisplayName "roomwatch-agent $Port" -Direction Inbound -Protocol TCP -LocalPort $Port -Action Allow -ErrorAction SilentlyContinue | Out-Null
Start-Service roomwatch-agent
Write-Host "roomwatch-agent running: http://localhost:$Port/metrics"
