//! `liuhen demo`: fills a FRESH data directory with a believable bureau (units, every role,
//! devices, a few dozen recordings made with ffmpeg), then prints the accounts.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use liuhen_app::demo::{DEMO_PASSWORD, DEVICES_TOML, ffmpeg_available};
use liuhen_app::{Custody, OpenOptions};

pub async fn run(data_dir: &Path) -> anyhow::Result<ExitCode> {
    if let Ok(mut entries) = std::fs::read_dir(data_dir)
        && entries.next().is_some()
    {
        eprintln!(
            "liuhen demo: 数据目录 {} 不是空的，演示数据只能写入新的空目录 \
             (the data directory is not empty; demo data goes into a fresh directory only)",
            data_dir.display()
        );
        return Ok(ExitCode::from(2));
    }
    if !ffmpeg_available() {
        eprintln!(
            "liuhen demo: 未找到 ffmpeg，无法生成演示录像；请先安装 ffmpeg (apt install ffmpeg) \
             (ffmpeg is missing: it makes the demo recordings)"
        );
        return Ok(ExitCode::from(2));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    std::fs::write(data_dir.join("liuhen.toml"), DEVICES_TOML)
        .with_context(|| format!("cannot write {}/liuhen.toml", data_dir.display()))?;
    let custody = Custody::open(OpenOptions::new(data_dir))
        .await
        .with_context(|| format!("cannot open the data directory {}", data_dir.display()))?;
    let work = std::env::temp_dir().join(format!("liuhen-demo-{}", std::process::id()));
    let progress = |line: &str| eprintln!("  {line}");
    let filled = custody.fill_demo(&work, &progress).await;
    let _ = std::fs::remove_dir_all(&work);
    let report = filled?;

    println!();
    println!("演示数据已生成 (demo data ready): {}", data_dir.display());
    println!(
        "  {} 条音像记录 ({} 条逾期入库, {} 条元数据异常)",
        report.recordings, report.late, report.probe_errors
    );
    println!(
        "  {} 个案件（含执法环节、关联记录及合规检查） / cases with steps, links and compliance",
        report.cases
    );
    for f in &report.failed {
        println!("  失败 FAILED {f}");
    }
    println!();
    println!(
        "{:<12} {:<18} {:<24} {:<14} 角色 (roles)",
        "用户名", "姓名", "单位", "部门"
    );
    for a in &report.accounts {
        let roles: Vec<&str> = a.roles.iter().map(|r| r.code()).collect();
        println!(
            "{:<12} {:<18} {:<24} {:<14} {}{}",
            a.username,
            a.display_name,
            a.unit.unwrap_or("—"),
            a.department.unwrap_or("—"),
            roles.join(","),
            if a.needs_totp {
                "  (首次登录须绑定动态口令 TOTP)"
            } else {
                ""
            }
        );
    }
    println!();
    println!("所有账户的初始密码 (password of every account): {DEMO_PASSWORD}");
    println!(
        "三员（系统管理员、安全保密管理员、安全审计员）首次登录时须用手机验证器绑定动态口令 (TOTP)。"
    );
    println!(
        "启动: liuhen --data-dir {} serve   然后以 zhaomin（音像记录管理员）或 zhangwei（执法人员）登录。",
        data_dir.display()
    );
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
