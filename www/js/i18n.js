// Every string the page shows, in English and Simplified Chinese, and the number and date
// formats of the current language. The language defaults to the browser's; the only thing ever
// stored is the user's choice. A string may have plural forms ({ one, other }), chosen by
// Intl.PluralRules from its `count`.

const STORAGE_KEY = 'credit-scorer.lang';

export const LANGS = {
  en: { html: 'en', schema: 'en', name: 'English' },
  'zh-CN': { html: 'zh-CN', schema: 'zh', name: '简体中文' },
};

const STRINGS = {
  en: {
    'app.title': 'Credit scorer',
    'app.tagline': 'Scores a loan applicant with a credit-risk model that runs entirely in this browser.',
    'app.privacy': 'Private by design: the model runs on this device. Nothing you type or load is sent anywhere.',
    'app.lang': 'Language',
    'app.loading': 'Loading the scoring engine and the model…',
    'app.engine_failed': 'The scoring engine could not start: {message}',
    'app.crashed': 'The scoring engine crashed ({message}). It was restarted and the model reloaded; please check the result again.',
    'app.engine_integrity': 'The scoring engine was refused: {file} is not the build this page was published with, so none of it was run. Reload the page; if this message stays, the site is serving a changed or incomplete copy of the app: tell whoever runs it. ({detail})',
    'app.debug_engine': 'Test engine: this page runs the debug build {file}, which is not pinned by Subresource Integrity. Do not use it for lending decisions.',
    'form.heading': 'Applicant',
    'form.intro': 'Fill in every field. The score updates as you type once all fields are valid.',
    'form.choose': '— Choose —',
    'form.range': 'Range {min}–{max} {unit}',
    'form.range_nounit': 'Range {min}–{max}',
    'form.any_number': 'Any number',
    'form.score': 'Score applicant',
    'form.clear': 'Clear',
    'form.print': 'Print decision record',
    'form.progress': '{done} of {total} fields complete',
    'err.missing': 'Required.',
    'err.not_a_number': 'Enter a number.',
    'err.not_finite': 'Enter a finite number.',
    'err.out_of_range': 'Must be between {min} and {max} {unit}.',
    'err.out_of_range_min': 'Must be at least {min} {unit}.',
    'err.out_of_range_max': 'Must be at most {max} {unit}.',
    'err.unknown_category': 'Choose one of the listed options.',
    'err.unknown_field': 'This field is not part of the model.',
    'err.summary': {
      one: 'Please correct {count} field before a score can be shown.',
      other: 'Please correct {count} fields before a score can be shown.',
    },
    'result.heading': 'Result',
    'result.empty': 'The result appears here once every field is filled in.',
    'result.invalid': 'The inputs are not valid: the last valid result is shown dimmed.',
    'result.pd': 'Probability of default',
    'result.points': 'Score',
    'result.points_unit': 'points',
    'result.band': 'Risk band',
    'result.delta_up': '▲ {delta} points since the last change',
    'result.delta_down': '▼ {delta} points since the last change',
    'result.delta_same': 'No change since the last change',
    'result.scale': 'Score scale from {min} to {max} points',
    'result.reasons': 'Main reasons lowering the score',
    'result.no_reasons': 'No characteristic lowers the score against the most favourable applicant.',
    'result.all': 'All contributions',
    'result.feature': 'Characteristic',
    'result.value': 'Value',
    'result.contribution': 'Points',
    'result.baseline': 'Contributions are measured from the most favourable applicant ({points} points).',
    'result.baseline_generic': 'Contributions are measured from an applicant with every input at zero ({points} points).',
    'result.approximate': 'Contributions are estimated by sampling (this model has many inputs).',
    'result.pts': '{value} pts',
    // What would change the outcome (js/recourse.js).
    'recourse.heading': 'What would change the outcome',
    'recourse.intro': 'The fewest changes to what the applicant can act on that would bring the score into the target band. Only characteristics the model marks as changeable move, each only in its allowed direction; every combination of up to three is tried.',
    'recourse.target': 'Target band',
    'recourse.band_cutoff': '{band} (approval cut-off)',
    'recourse.choose_band': '— Choose a band —',
    'recourse.empty': 'Appears once the applicant has a valid result.',
    'recourse.no_target': 'This model names no approval cut-off: choose a target band.',
    'recourse.searching': 'Looking for changes that reach band {band}…',
    'recourse.already_met': 'Already met: the applicant is in band {band} or better, so no change is needed.',
    'recourse.found': {
      one: 'One way to reach band {band}:',
      other: '{count} ways to reach band {band}, fewest changes first:',
    },
    'recourse.proven_none': {
      one: 'No change of {count} characteristic reaches band {band}: every allowed change was tried.',
      other: 'No change of up to {count} characteristics reaches band {band}: every allowed combination was tried.',
    },
    'recourse.incomplete': {
      one: 'No change of {count} characteristic reaches band {band}; larger combinations were too many to try.',
      other: 'No change of up to {count} characteristics reaches band {band}; larger combinations were too many to try.',
    },
    'recourse.nothing_actionable': 'This model marks no characteristic as one the applicant can change, so no change is suggested.',
    'recourse.failed': 'The search for changes failed: {message}',
    'recourse.option': 'Option {n}',
    'recourse.changes': { one: '{count} change', other: '{count} changes' },
    'recourse.change': '{label}: {from} → {to}',
    'recourse.pd': 'PD {pd}',
    'recourse.points': '{points} points',
    'recourse.band': 'Band {band}',
    'recourse.apply': 'Apply',
    'model.heading': 'Model',
    'model.name': 'Model',
    'model.version': 'Version',
    'model.trained_on': 'Trained on',
    'model.dataset': 'Data set',
    'model.rows': '{rows} rows',
    'model.licence': 'Licence',
    'model.split': 'Test split',
    'model.metrics': 'Test metrics',
    'model.metric_ci': '{value} (95% CI {lo}–{hi})',
    'model.auc': 'AUC',
    'model.ks': 'KS',
    'model.gini': 'Gini',
    'model.brier': 'Brier score',
    'model.intended_use': 'Intended use',
    'model.limits': 'Limits',
    'model.excluded': 'Characteristics deliberately not used',
    'model.sha256': 'SHA-256 of the loaded file',
    'model.engine': 'Engine',
    'model.engine_direct': 'Direct evaluator (agreed with tract on probe applicants when loaded)',
    'model.engine_lite': 'Direct evaluator, lite engine (reproduced the reference scores recorded in the model when loaded)',
    'model.engine_tract': 'tract',
    'model.source': 'Source',
    'model.source_reference': 'Reference model shipped with this page',
    'model.source_file': 'Your file “{name}” (loaded in this browser, not uploaded)',
    'model.no_card': 'This model file carries no model card.',
    'model.generic_note': 'This model carries no schema: its inputs are shown as x0…x{last} without ranges, and explanations use a zero baseline (every input at 0), so read them with care.',
    'model.features': 'Inputs',
    'upload.heading': 'Load your own model',
    'upload.intro': 'Choose or drop an .onnx file. It is read and run in this browser and never uploaded.',
    'upload.choose': 'Model file (.onnx)',
    'upload.drop': 'Drop an .onnx file here',
    'upload.loading': 'Loading “{name}”…',
    'upload.loaded': 'Loaded “{name}”.',
    'upload.refused': '“{name}” was refused: {message} The previous model is still in use.',
    'upload.reference': 'Use the reference model again',
    'batch.heading': 'Score a file',
    'batch.intro': "Choose or drop a CSV file with one applicant per row and a header naming the model's columns. It is scored in this browser and never uploaded.",
    'batch.choose': 'Applicants file (.csv)',
    'batch.drop': 'Drop a .csv file here',
    'batch.reasons': 'Add the four main reasons to each row (slower)',
    'batch.contributions': 'Add every characteristic’s contribution in points to each row',
    'batch.encoding_label': 'Text encoding of the file',
    'batch.encoding.auto': 'Automatic (UTF-8, or as its byte-order mark says)',
    'batch.encoding.gbk': 'GBK (Excel in Simplified Chinese)',
    'batch.encoding.gb18030': 'GB18030',
    'batch.encoding.big5': 'Big5 (Traditional Chinese)',
    'batch.encoding.windows-1252': 'Windows-1252 (Excel in Western Europe)',
    'batch.encoding.utf-16le': 'UTF-16LE',
    'batch.encoding.utf-16be': 'UTF-16BE',
    'batch.encoding.utf-8': 'UTF-8',
    'batch.read_as': 'Read as {encoding} ({how}), columns separated by {delimiter}, numbers with a {decimal}.',
    'batch.encoding_how.bom': 'from its byte-order mark',
    'batch.encoding_how.chosen': 'as chosen',
    'batch.encoding_how.detected': 'detected',
    'batch.delimiter.comma': 'commas',
    'batch.delimiter.semicolon': 'semicolons',
    'batch.delimiter.tab': 'tabs',
    'batch.delimiter.pipe': 'vertical bars',
    'batch.decimal.point': 'decimal point',
    'batch.decimal.comma': 'decimal comma',
    'batch.decimal_label': 'Decimal separator of numbers',
    'batch.decimal_option.point': 'Point (1804.5)',
    'batch.decimal_option.comma': 'Comma (1804,5; columns then separated by ; tab or |)',
    'batch.method': 'Reasons: {method}, the same as for one applicant.',
    'batch.model': 'Scored with the model whose SHA-256 is {sha}.',
    'batch.method.exact': 'exact Shapley values against the baseline applicant',
    'batch.method.treeshap': 'exact TreeSHAP values against the baseline applicant',
    'batch.method.sampled': 'Shapley values estimated from 128 permutations',
    'batch.method.other': '{name}',
    'batch.cancel': 'Cancel',
    'batch.progress': '{rows} rows scored · {rate} rows/s · {percent}% · {left} left',
    'batch.seconds': '{n} s',
    'batch.minutes': '{m} min {s} s',
    'batch.done': '{rows} rows in {seconds} s ({rate} rows/s).',
    'batch.cancelled': 'Cancelled after {rows} rows; nothing was saved.',
    'batch.failed': '{name} could not be scored: {message}',
    'batch.stopped': '{name} was not scored to the end: the scoring engine stopped (a Worker crashed or ran out of memory). No output was kept. Score the file again; if it happens again, split the file or close other tabs.',
    'batch.unreadable': '{name} could not be read to the end: it was changed, moved or deleted while it was being scored. No output was kept. Choose the file again once it is complete.',
    'batch.interrupted': 'A file was being scored when this page was reloaded or closed; it was not finished and no output was kept. Choose the file again to score it.',
    'batch.download': 'Download {name}',
    'batch.rows_in': 'Rows read',
    'batch.scored': 'Scored',
    'batch.refused': 'Refused (reason in the error column)',
    'batch.blank': 'Blank lines skipped',
    'batch.workers': 'Workers (cores) used',
    'batch.refused_lines': 'Refused rows at lines {lines}.',
    'batch.ignored': 'Columns copied through, not used by the model: {columns}.',
    'batch.bands': 'Rows per risk band',
    'batch.histogram': 'Score distribution (points)',
    'batch.hist_label': 'Histogram of scored rows by points, from {min} to {max}',
    'batch.drift': 'Population stability (PSI)',
    'batch.drift_intro': 'Compares these applicants with the ones the model learned from: below 0.1 stable, 0.1 to 0.25 watch, above 0.25 investigate.',
    'batch.score': 'Score',
    'batch.reading.stable': 'Stable',
    'batch.reading.watch': 'Watch',
    'batch.reading.investigate': 'Investigate',
    'batch.drift_missing': 'Not computed: {why}',
    'upload.too_big': '“{name}” is larger than {limit} MB.',
    // Why a model was refused, by the engine's error kind; outside English the engine's own
    // (English) message follows as the detail.
    'upload.kind.model_format': 'It is not a readable ONNX model.',
    'upload.kind.model_too_large': 'It is larger than this page accepts, or would allocate too much.',
    'upload.kind.model_contract': 'It does not have the single input and the probability output a credit model needs.',
    'upload.kind.model_unsupported': 'It uses something this scorer does not run.',
    'upload.kind.model_invalid': 'Its weights or outputs are not valid numbers or probabilities.',
    'upload.kind.schema': 'The feature schema in its metadata is malformed or does not match the model.',
    'upload.kind.engine_unavailable': 'It needs the full scoring engine, which could not be downloaded.',
    'upload.kind.engine_integrity': 'It needs the full scoring engine, and the copy the server sent is not the build this page was published with; none of it was run.',
    'upload.kind.batch_running': 'A file is being scored with the current model.',
    'upload.detail': '{summary} Details: {message}',
    'record.heading': 'Credit decision record',
    'record.datetime': 'Date and time',
    'record.inputs': 'Applicant inputs',
    'record.result': 'Result',
    'record.reasons': 'Main reasons',
    'record.model': 'Model',
    'record.none': 'No valid result yet.',
    'record.decision': 'Decision',
    'record.officer': 'Officer and signature',
    // The officer's decision (js/decision.js).
    'decision.heading': "Officer's decision",
    'decision.intro': "Record what you decide for the result shown. The record keeps the model's output and your decision; this page never stores it: download it and file it.",
    'decision.need_result': 'Score an applicant to record a decision.',
    'decision.stale': 'The inputs are not valid: correct them before recording a decision.',
    'decision.action': 'Action taken',
    'decision.approve': 'Approve',
    'decision.decline': 'Decline',
    'decision.counter_offer': 'Counter-offer',
    'decision.terms': 'Terms offered instead',
    'decision.model_band': "Model's risk band",
    'decision.override': "Override the model's risk band",
    'decision.override_band': 'Risk band decided by the officer',
    'decision.override_reason': 'Reason for the override (required)',
    'decision.record': 'Record decision',
    'decision.change': 'Change the decision',
    'decision.err_action': 'Choose the action taken.',
    'decision.err_terms': 'Describe the terms offered.',
    'decision.err_band': "Choose a risk band other than the model's.",
    'decision.err_reason': 'Give the reason for the override.',
    'decision.recorded': 'Recorded {datetime}: {action}.',
    'decision.recorded_override': 'Risk band changed by the officer from {from} to {to}: {reason}',
    'decision.hash': 'SHA-256 of the record',
    'decision.print_notice': 'Print adverse-action notice',
    'decision.download': 'Download decision record (JSON)',
    'decision.no_notice': 'An adverse-action notice is printed for a decline or a counter-offer.',
    'decision.record_line': '{action} (recorded {datetime}; record SHA-256 {hash})',
    // The adverse-action notice (js/notice.js), after Regulation B's sample forms C-1 to C-5.
    'notice.placeholders': 'PLACEHOLDER TEXTS: the deployment file deployment.json has not been filled in ({fields}). Do not send this notice.',
    'notice.load_failed': 'The deployment file could not be loaded ({error}): this notice has no creditor details. Do not send it.',
    'notice.missing': '[missing]',
    'notice.title_denial': 'Statement of credit denial, termination or change',
    'notice.title_counter': 'Notice of action taken, statement of reasons and counteroffer',
    'notice.date': 'Date',
    'notice.applicant_name': "Applicant's name",
    'notice.applicant_address': "Applicant's address",
    'notice.credit': 'Description of account, transaction, or requested credit',
    'notice.action': 'Description of action taken',
    'notice.action_decline': 'Your application for credit has been declined.',
    'notice.action_counter': 'We are unable to offer you credit on the terms that you requested.',
    'notice.counter_terms': 'We can, however, offer you credit on the following terms:',
    'notice.counter_accept': 'If this offer is acceptable to you, please notify us at the address above.',
    'notice.part1': 'Part I — Principal reasons for credit denial, termination, or other action taken concerning credit',
    'notice.score_heading': 'Your credit score',
    'notice.score_intro': 'We used a credit score in making our credit decision. It was computed by our credit-risk model from the information in your application, and it can change when that information changes.',
    'notice.score': 'Your credit score',
    'notice.score_date': 'Date',
    'notice.score_range': 'Range',
    'notice.score_range_value': 'Scores range from a low of {min} to a high of {max}.',
    'notice.key_factors': 'Key factors that adversely affected your credit score:',
    'notice.recourse': 'What could change the outcome',
    'notice.recourse_intro': 'Changes to the information in your application with which our model would have given a better result:',
    'notice.part2': 'Part II — Disclosure of use of information obtained from an outside source',
    'notice.name': 'Name',
    'notice.address': 'Address',
    'notice.phone': 'Telephone number',
    'notice.ecoa': 'Notice',
    'notice.record_hash': 'SHA-256 of the decision record',
    'footer.text': 'Scores are estimates from a statistical model and are not a lending decision on their own.',
    // The governance panel (js/governance.js).
    'gov.heading': 'Model governance',
    'gov.intro': 'How well the model separates good from bad applicants, whether its probabilities can be taken at face value, and whether it treats groups alike. Computed by the training pipeline on the held-out test split ({n} applicants) and carried inside the model file.',
    'gov.intro_unknown': 'Figures the model file carries about its own quality and fairness.',
    'gov.perf': 'Discrimination and accuracy',
    'gov.auc': 'AUC',
    'gov.ks': 'KS',
    'gov.brier': 'Brier score',
    'gov.ci': '95% CI {lo}–{hi}',
    'gov.auc_help': 'Chance that a randomly chosen bad applicant gets a higher PD than a good one (0.5 = coin toss, 1 = perfect).',
    'gov.ks_help': 'Largest gap between the shares of bads and of goods caught by any PD cut-off (0 = none, 1 = perfect).',
    'gov.brier_help': 'Mean squared gap between the PD and what happened (0 = perfect; lower is better).',
    'gov.calibration': 'Calibration: predicted vs observed',
    'gov.calibration_help': 'Applicants sorted by PD into ten groups of equal size. A well-calibrated model has its points near the diagonal: a predicted 30% means about 30 in 100 default.',
    'gov.calibration_table': 'The ten groups as a table',
    'gov.predicted': 'Predicted PD (mean of the decile)',
    'gov.observed': 'Observed bad rate',
    'gov.decile': 'Decile',
    'gov.applicants': 'Applicants',
    'gov.pd_range': 'PD range',
    'gov.mean_pd': 'Mean PD',
    'gov.point_title': 'Decile {d}: predicted {p}, observed {o}, {n} applicants',
    'gov.reliability_label': 'Reliability diagram: observed bad rate against predicted PD for ten deciles',
    'gov.distribution': 'Score distribution of goods and bads',
    'gov.distribution_help': 'Test applicants per score range. The further apart the two groups, the better the score separates them. The dashed line is the approval cut-off.',
    'gov.goods': 'Goods (repaid)',
    'gov.bads': 'Bads (defaulted)',
    'gov.points': 'Score (points)',
    'gov.count': 'Applicants',
    'gov.cutoff': 'cut-off',
    'gov.dist_label': 'Histogram of test applicants by score, goods and bads side by side',
    'gov.bin_title': '{lo}–{hi} points: {g} goods, {b} bads',
    'gov.fair': 'Fair-lending check',
    'gov.fair_explain': 'Sex, age and foreign-worker status are never given to the model: the law forbids basing credit decisions on them. They were kept aside only to check, after the fact, whether the model’s decisions fall unevenly on these groups. An applicant is counted as approved when the PD is at most {cut} (band {band} or better, {points} points or more).',
    'gov.fair_air': 'Adverse-impact ratio = approval rate of the least-approved group ÷ that of the most-approved group. Below 0.8 fails the “four-fifths” rule of thumb and calls for a closer look; small groups make these figures uncertain.',
    'gov.group': 'Group',
    'gov.bad_rate': 'Observed bad rate',
    'gov.approval': 'Approval rate',
    'gov.air': 'Adverse-impact ratio',
    'gov.air_ok': 'meets four-fifths',
    'gov.air_fail': 'below four-fifths',
    'gov.lowest': 'lowest: {g}',
    'gov.attr_sex': 'Sex',
    'gov.attr_age': 'Age',
    'gov.attr_foreign_worker': 'Foreign worker',
    'gov.g_female': 'female',
    'gov.g_male': 'male',
    'gov.g_under_25': 'under 25',
    'gov.g_25_and_over': '25 and over',
    'gov.g_yes': 'yes',
    'gov.g_no': 'no',
    'gov.drift': 'Drift monitoring',
    'gov.drift_ok': 'The model carries the training share of every bin for {n} of {k} characteristics and a score reference: when a batch file is scored, the Population Stability Index (PSI) tells whether today’s applicants still look like the training ones (below 0.1 stable, 0.1–0.25 watch, above 0.25 investigate).',
    'gov.missing_title': 'Not available for this model',
    'gov.missing_intro': 'This model file carries no {what}. To show it, add these fields to the `credit_scorer.schema` JSON in the model’s metadata (see docs/SCHEMA.md):',
    'gov.what_perf': 'test metrics with confidence intervals',
    'gov.what_calibration': 'reliability table',
    'gov.what_distribution': 'score distribution of goods and bads',
    'gov.what_fair': 'fair-lending evaluation',
    'gov.what_drift': 'training distribution (needed for drift warnings)',
  },
  'zh-CN': {
    'app.title': '信用评分',
    'app.tagline': '使用完全在本浏览器中运行的信用风险模型为贷款申请人评分。',
    'app.privacy': '隐私优先：模型在本设备上运行，您输入或加载的任何内容都不会被发送出去。',
    'app.lang': '语言',
    'app.loading': '正在加载评分引擎和模型…',
    'app.engine_failed': '评分引擎无法启动：{message}',
    'app.crashed': '评分引擎崩溃（{message}），已重新启动并重新加载模型；请再次核对结果。',
    'app.engine_integrity': '评分引擎已被拒绝：{file} 不是本页面发布时的版本，因此未运行其中任何代码。请重新加载页面；如果此提示仍然出现，说明网站提供的应用副本已被更改或不完整，请告知网站管理员。（{detail}）',
    'app.debug_engine': '测试引擎：本页面运行的是调试版本 {file}，它不受子资源完整性（SRI）保护。请勿用于信贷决策。',
    'form.heading': '申请人',
    'form.intro': '请填写所有字段。所有字段有效后，评分会随输入即时更新。',
    'form.choose': '— 请选择 —',
    'form.range': '范围 {min}–{max} {unit}',
    'form.range_nounit': '范围 {min}–{max}',
    'form.any_number': '任意数字',
    'form.score': '评分',
    'form.clear': '清空',
    'form.print': '打印决策记录',
    'form.progress': '已完成 {done}/{total} 个字段',
    'err.missing': '必填。',
    'err.not_a_number': '请输入数字。',
    'err.not_finite': '请输入有限的数字。',
    'err.out_of_range': '必须介于 {min} 与 {max} {unit}之间。',
    'err.out_of_range_min': '不得小于 {min} {unit}。',
    'err.out_of_range_max': '不得大于 {max} {unit}。',
    'err.unknown_category': '请从所列选项中选择。',
    'err.unknown_field': '此字段不属于该模型。',
    'err.summary': '请先更正 {count} 个字段，才能显示评分。',
    'result.heading': '结果',
    'result.empty': '填写所有字段后，结果将显示在这里。',
    'result.invalid': '输入无效：以淡色显示上一次有效的结果。',
    'result.pd': '违约概率',
    'result.points': '评分',
    'result.points_unit': '分',
    'result.band': '风险等级',
    'result.delta_up': '▲ 较上次修改提高 {delta} 分',
    'result.delta_down': '▼ 较上次修改降低 {delta} 分',
    'result.delta_same': '与上次修改相比没有变化',
    'result.scale': '评分范围 {min} 至 {max} 分',
    'result.reasons': '拉低评分的主要原因',
    'result.no_reasons': '与最有利的申请人相比，没有任何特征拉低评分。',
    'result.all': '全部贡献',
    'result.feature': '特征',
    'result.value': '取值',
    'result.contribution': '分数',
    'result.baseline': '贡献以最有利的申请人为基准计算（{points} 分）。',
    'result.baseline_generic': '贡献以所有输入均为零的申请人为基准计算（{points} 分）。',
    'result.approximate': '贡献通过抽样估算（该模型输入较多）。',
    'result.pts': '{value} 分',
    'recourse.heading': '怎样才能改变结果',
    'recourse.intro': '申请人可以采取行动的最少改变，使评分进入目标风险等级。只改变模型标记为可改变的特征，且只沿允许的方向改变；最多三项的所有组合都已尝试。',
    'recourse.target': '目标风险等级',
    'recourse.band_cutoff': '{band}（审批分界线）',
    'recourse.choose_band': '— 请选择等级 —',
    'recourse.empty': '申请人获得有效结果后显示。',
    'recourse.no_target': '该模型未设定审批分界线：请选择目标风险等级。',
    'recourse.searching': '正在查找可达到等级 {band} 的改变…',
    'recourse.already_met': '已达到：申请人已处于等级 {band} 或更好，无需任何改变。',
    'recourse.found': '有 {count} 种方式可达到等级 {band}，改变最少的在前：',
    'recourse.proven_none': '改变最多 {count} 项特征都无法达到等级 {band}：所有允许的组合均已尝试。',
    'recourse.incomplete': '改变最多 {count} 项特征都无法达到等级 {band}；更多项的组合过多，未能全部尝试。',
    'recourse.nothing_actionable': '该模型没有将任何特征标记为申请人可以改变，因此不提供建议。',
    'recourse.failed': '查找改变失败：{message}',
    'recourse.option': '方案 {n}',
    'recourse.changes': '{count} 项改变',
    'recourse.change': '{label}：{from} → {to}',
    'recourse.pd': '违约概率 {pd}',
    'recourse.points': '{points} 分',
    'recourse.band': '等级 {band}',
    'recourse.apply': '应用',
    'model.heading': '模型',
    'model.name': '模型',
    'model.version': '版本',
    'model.trained_on': '训练日期',
    'model.dataset': '数据集',
    'model.rows': '{rows} 行',
    'model.licence': '许可',
    'model.split': '测试集划分',
    'model.metrics': '测试集指标',
    'model.metric_ci': '{value}（95% 置信区间 {lo}–{hi}）',
    'model.auc': 'AUC',
    'model.ks': 'KS',
    'model.gini': '基尼系数',
    'model.brier': 'Brier 分数',
    'model.intended_use': '预期用途',
    'model.limits': '局限性',
    'model.excluded': '特意未使用的特征',
    'model.sha256': '已加载文件的 SHA-256',
    'model.engine': '计算引擎',
    'model.engine_direct': '直接计算（加载时已在试算申请人上与 tract 核对一致）',
    'model.engine_lite': '直接计算，轻量引擎（加载时已复现模型中记录的参考分数）',
    'model.engine_tract': 'tract',
    'model.source': '来源',
    'model.source_reference': '本页面自带的参考模型',
    'model.source_file': '您的文件“{name}”（在本浏览器中加载，未上传）',
    'model.no_card': '该模型文件不包含模型卡。',
    'model.generic_note': '该模型不含特征说明：输入显示为 x0…x{last}，没有取值范围；解释以零为基准（所有输入均为 0），请谨慎解读。',
    'model.features': '输入数',
    'upload.heading': '加载您自己的模型',
    'upload.intro': '选择或拖放一个 .onnx 文件。文件只在本浏览器中读取和运行，绝不会上传。',
    'upload.choose': '模型文件（.onnx）',
    'upload.drop': '将 .onnx 文件拖放到此处',
    'upload.loading': '正在加载“{name}”…',
    'upload.loaded': '已加载“{name}”。',
    'upload.refused': '“{name}”被拒绝：{message} 仍在使用之前的模型。',
    'upload.reference': '重新使用参考模型',
    'batch.heading': '批量评分文件',
    'batch.intro': '选择或拖放一个 CSV 文件：每行一位申请人，首行为模型的列名。文件在本浏览器中评分，不会上传。',
    'batch.choose': '申请人文件（.csv）',
    'batch.drop': '将 .csv 文件拖放到此处',
    'batch.reasons': '为每行添加四个主要原因（较慢）',
    'batch.contributions': '为每行添加每项特征的贡献分值',
    'batch.encoding_label': '文件的文本编码',
    'batch.encoding.auto': '自动（UTF-8，或按字节顺序标记）',
    'batch.encoding.gbk': 'GBK（简体中文版 Excel）',
    'batch.encoding.gb18030': 'GB18030',
    'batch.encoding.big5': 'Big5（繁体中文）',
    'batch.encoding.windows-1252': 'Windows-1252（西欧版 Excel）',
    'batch.encoding.utf-16le': 'UTF-16LE',
    'batch.encoding.utf-16be': 'UTF-16BE',
    'batch.encoding.utf-8': 'UTF-8',
    'batch.read_as': '按 {encoding} 读取（{how}），列分隔符：{delimiter}，小数分隔符：{decimal}。',
    'batch.encoding_how.bom': '依据字节顺序标记',
    'batch.encoding_how.chosen': '按所选',
    'batch.encoding_how.detected': '自动识别',
    'batch.delimiter.comma': '逗号',
    'batch.delimiter.semicolon': '分号',
    'batch.delimiter.tab': '制表符',
    'batch.delimiter.pipe': '竖线',
    'batch.decimal.point': '小数点',
    'batch.decimal.comma': '逗号',
    'batch.decimal_label': '数字的小数分隔符',
    'batch.decimal_option.point': '小数点（1804.5）',
    'batch.decimal_option.comma': '逗号（1804,5；列须以 ; 制表符或 | 分隔）',
    'batch.method': '原因：{method}，与单个申请人相同。',
    'batch.model': '评分所用模型的 SHA-256：{sha}。',
    'batch.method.exact': '相对基准申请人的精确 Shapley 值',
    'batch.method.treeshap': '相对基准申请人的精确 TreeSHAP 值',
    'batch.method.sampled': '由 128 个排列估计的 Shapley 值',
    'batch.method.other': '{name}',
    'batch.cancel': '取消',
    'batch.progress': '已评分 {rows} 行 · 每秒 {rate} 行 · {percent}% · 剩余 {left}',
    'batch.seconds': '{n} 秒',
    'batch.minutes': '{m} 分 {s} 秒',
    'batch.done': '{rows} 行，用时 {seconds} 秒（每秒 {rate} 行）。',
    'batch.cancelled': '已在 {rows} 行后取消，未保存任何结果。',
    'batch.failed': '无法为 {name} 评分：{message}',
    'batch.stopped': '{name} 未能评分完成：评分引擎已停止（某个 Worker 崩溃或内存不足）。未保留任何结果。请重新为该文件评分；如再次发生，请拆分文件或关闭其他标签页。',
    'batch.unreadable': '无法读取完整的 {name}：文件在评分过程中被修改、移动或删除。未保留任何结果。请在文件完整后重新选择。',
    'batch.interrupted': '此页面重新加载或关闭时有一个文件正在评分；该文件未完成，未保留任何结果。请重新选择该文件进行评分。',
    'batch.download': '下载 {name}',
    'batch.rows_in': '读取的行数',
    'batch.scored': '已评分',
    'batch.refused': '被拒绝（原因见 error 列）',
    'batch.blank': '跳过的空行',
    'batch.workers': '使用的 Worker（核心）数',
    'batch.refused_lines': '被拒绝的行位于第 {lines} 行。',
    'batch.ignored': '原样保留、模型未使用的列：{columns}。',
    'batch.bands': '各风险等级的行数',
    'batch.histogram': '分数分布（分）',
    'batch.hist_label': '按分数统计的已评分行直方图，从 {min} 到 {max}',
    'batch.drift': '人群稳定性指数（PSI）',
    'batch.drift_intro': '将这些申请人与模型训练时的申请人进行比较：低于 0.1 为稳定，0.1 至 0.25 需关注，高于 0.25 需调查。',
    'batch.score': '分数',
    'batch.reading.stable': '稳定',
    'batch.reading.watch': '关注',
    'batch.reading.investigate': '调查',
    'batch.drift_missing': '未计算：{why}',
    'upload.too_big': '“{name}”超过 {limit} MB。',
    'upload.kind.model_format': '这不是可读取的 ONNX 模型。',
    'upload.kind.model_too_large': '它超出了本页面可接受的大小，或会占用过多内存。',
    'upload.kind.model_contract': '它不具备信用模型所需的单一输入和概率输出。',
    'upload.kind.model_unsupported': '它使用了本评分器不支持的内容。',
    'upload.kind.model_invalid': '其权重或输出不是有效的数字或概率。',
    'upload.kind.schema': '其元数据中的特征模式格式有误或与模型不符。',
    'upload.kind.engine_unavailable': '它需要完整评分引擎，但该引擎无法下载。',
    'upload.kind.engine_integrity': '它需要完整评分引擎，但服务器发送的副本不是本页面发布时的版本，因此未运行其中任何代码。',
    'upload.kind.batch_running': '正在用当前模型为一个文件评分。',
    'upload.detail': '{summary}详情（英文）：{message}',
    'record.heading': '信贷决策记录',
    'record.datetime': '日期和时间',
    'record.inputs': '申请人输入',
    'record.result': '结果',
    'record.reasons': '主要原因',
    'record.model': '模型',
    'record.none': '尚无有效结果。',
    'record.decision': '决定',
    'record.officer': '经办人及签名',
    'decision.heading': '信贷员的决定',
    'decision.intro': '为所示结果记录您的决定。记录同时保存模型的输出和您的决定；本页面不会保存记录：请下载并归档。',
    'decision.need_result': '请先为申请人评分，再记录决定。',
    'decision.stale': '输入无效：请先更正，再记录决定。',
    'decision.action': '所采取的行动',
    'decision.approve': '批准',
    'decision.decline': '拒绝',
    'decision.counter_offer': '提出替代条件',
    'decision.terms': '改为提供的条件',
    'decision.model_band': '模型给出的风险等级',
    'decision.override': '更改模型给出的风险等级',
    'decision.override_band': '信贷员决定的风险等级',
    'decision.override_reason': '更改理由（必填）',
    'decision.record': '记录决定',
    'decision.change': '修改决定',
    'decision.err_action': '请选择所采取的行动。',
    'decision.err_terms': '请说明所提供的条件。',
    'decision.err_band': '请选择与模型不同的风险等级。',
    'decision.err_reason': '请填写更改理由。',
    'decision.recorded': '已于 {datetime} 记录：{action}。',
    'decision.recorded_override': '信贷员将风险等级由 {from} 改为 {to}：{reason}',
    'decision.hash': '记录的 SHA-256',
    'decision.print_notice': '打印不利行动通知',
    'decision.download': '下载决策记录（JSON）',
    'decision.no_notice': '仅在拒绝或提出替代条件时打印不利行动通知。',
    'decision.record_line': '{action}（记录于 {datetime}；记录 SHA-256 {hash}）',
    'notice.placeholders': '占位文本：部署文件 deployment.json 尚未填写（{fields}）。请勿发送此通知。',
    'notice.load_failed': '无法加载部署文件（{error}）：本通知没有债权人信息。请勿发送。',
    'notice.missing': '[缺失]',
    'notice.title_denial': '拒绝、终止或变更信贷通知书',
    'notice.title_counter': '所采取行动、理由说明及替代条件通知书',
    'notice.date': '日期',
    'notice.applicant_name': '申请人姓名',
    'notice.applicant_address': '申请人地址',
    'notice.credit': '账户、交易或所申请信贷的说明',
    'notice.action': '所采取行动的说明',
    'notice.action_decline': '您的信贷申请已被拒绝。',
    'notice.action_counter': '我们无法按您申请的条件向您提供信贷。',
    'notice.counter_terms': '但是，我们可以按以下条件向您提供信贷：',
    'notice.counter_accept': '如果您接受这些条件，请按上述地址通知我们。',
    'notice.part1': '第一部分 — 拒绝、终止信贷或就信贷采取其他行动的主要原因',
    'notice.score_heading': '您的信用评分',
    'notice.score_intro': '我们在作出信贷决定时使用了信用评分。该评分由我们的信用风险模型根据您申请中的信息计算得出，这些信息变化时评分也会随之变化。',
    'notice.score': '您的信用评分',
    'notice.score_date': '日期',
    'notice.score_range': '范围',
    'notice.score_range_value': '评分范围从最低 {min} 分到最高 {max} 分。',
    'notice.key_factors': '对您的信用评分产生不利影响的关键因素：',
    'notice.recourse': '可能改变结果的因素',
    'notice.recourse_intro': '如您申请中的信息作如下变化，我们的模型会给出更好的结果：',
    'notice.part2': '第二部分 — 关于使用外部来源信息的披露',
    'notice.name': '名称',
    'notice.address': '地址',
    'notice.phone': '电话号码',
    'notice.ecoa': '通知',
    'notice.record_hash': '决策记录的 SHA-256',
    'footer.text': '评分是统计模型的估计值，本身并不构成信贷决定。',
    'gov.heading': '模型治理',
    'gov.intro': '模型区分好坏申请人的能力、其违约概率是否可信，以及对不同群体是否一视同仁。由训练流程在预留的测试集（{n} 名申请人）上计算，并随模型文件一同提供。',
    'gov.intro_unknown': '模型文件自带的质量与公平性数据。',
    'gov.perf': '区分能力与准确度',
    'gov.auc': 'AUC',
    'gov.ks': 'KS',
    'gov.brier': 'Brier 分数',
    'gov.ci': '95% 置信区间 {lo}–{hi}',
    'gov.auc_help': '随机抽取一名违约申请人，其违约概率高于一名正常申请人的概率（0.5 相当于掷硬币，1 为完美）。',
    'gov.ks_help': '在任一违约概率阈值下，被识别的违约者比例与正常者比例之间的最大差距（0 为无区分，1 为完美）。',
    'gov.brier_help': '违约概率与实际结果之差的平方的平均值（0 为完美，越低越好）。',
    'gov.calibration': '校准：预测与实际',
    'gov.calibration_help': '按违约概率将申请人分为人数相同的十组。校准良好的模型，其各点靠近对角线：预测 30% 意味着每 100 人中约有 30 人违约。',
    'gov.calibration_table': '十个分组的数据表',
    'gov.predicted': '预测违约概率（组内平均）',
    'gov.observed': '实际违约率',
    'gov.decile': '十分位组',
    'gov.applicants': '申请人数',
    'gov.pd_range': '违约概率范围',
    'gov.mean_pd': '平均违约概率',
    'gov.point_title': '第 {d} 组：预测 {p}，实际 {o}，{n} 名申请人',
    'gov.reliability_label': '可靠性图：十个分位组的实际违约率与预测违约概率',
    'gov.distribution': '正常与违约申请人的评分分布',
    'gov.distribution_help': '测试集申请人在各评分区间的人数。两组分得越开，评分的区分能力越强。虚线为批准分界。',
    'gov.goods': '正常（已还款）',
    'gov.bads': '违约',
    'gov.points': '评分（分）',
    'gov.count': '人数',
    'gov.cutoff': '分界',
    'gov.dist_label': '测试集申请人按评分的直方图，正常与违约并列',
    'gov.bin_title': '{lo}–{hi} 分：正常 {g} 人，违约 {b} 人',
    'gov.fair': '公平信贷检查',
    'gov.fair_explain': '性别、年龄和外籍劳工身份从不作为模型输入：法律禁止以此作出信贷决定。这些信息仅被单独保留，用于事后检查模型的决定是否对这些群体造成不均衡的影响。违约概率不高于 {cut}（{band} 档或更好，即 {points} 分及以上）时视为批准。',
    'gov.fair_air': '不利影响比 = 批准率最低组的批准率 ÷ 批准率最高组的批准率。低于 0.8 即不符合“五分之四规则”，需要进一步审查；样本较小的组会使这些数字不确定。',
    'gov.group': '群组',
    'gov.bad_rate': '实际违约率',
    'gov.approval': '批准率',
    'gov.air': '不利影响比',
    'gov.air_ok': '符合五分之四规则',
    'gov.air_fail': '低于五分之四',
    'gov.lowest': '最低：{g}',
    'gov.attr_sex': '性别',
    'gov.attr_age': '年龄',
    'gov.attr_foreign_worker': '外籍劳工',
    'gov.g_female': '女性',
    'gov.g_male': '男性',
    'gov.g_under_25': '25 岁以下',
    'gov.g_25_and_over': '25 岁及以上',
    'gov.g_yes': '是',
    'gov.g_no': '否',
    'gov.drift': '漂移监测',
    'gov.drift_ok': '模型为 {k} 个特征中的 {n} 个提供了训练集各分箱占比，并提供评分参考分布：批量评分时，群体稳定性指数（PSI）会显示当前申请人是否仍与训练时相似（低于 0.1 稳定，0.1–0.25 需关注，高于 0.25 需调查）。',
    'gov.missing_title': '此模型不提供',
    'gov.missing_intro': '此模型文件不含{what}。如需显示，请在模型元数据的 `credit_scorer.schema` JSON 中加入以下字段（见 docs/SCHEMA.md）：',
    'gov.what_perf': '带置信区间的测试指标',
    'gov.what_calibration': '可靠性表',
    'gov.what_distribution': '正常与违约申请人的评分分布',
    'gov.what_fair': '公平信贷评估',
    'gov.what_drift': '训练集分布（漂移预警所需）',
  },
};

function initialLang() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled; the browser's language still applies.
  }
  if (stored && stored in LANGS) return stored;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of preferred) {
    if (typeof l === 'string' && l.toLowerCase().startsWith('zh')) return 'zh-CN';
    if (typeof l === 'string' && l.toLowerCase().startsWith('en')) return 'en';
  }
  return 'en';
}

let current = initialLang();
const listeners = new Set();

/** The current UI language: 'en' or 'zh-CN'. */
export function lang() {
  return current;
}

/** The current language's tag for `<html lang>` and Intl. */
export function htmlLang() {
  return LANGS[current].html;
}

/** Switches the language, remembers only that choice, and tells every listener. */
export function setLang(l) {
  if (!(l in LANGS) || l === current) return;
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Not remembered; the page still switches.
  }
  for (const f of listeners) f(l);
}

export function onLangChange(f) {
  listeners.add(f);
}

/** The table's language for a language tag (`zh`, `zh-Hans`, `zh-CN` → 'zh-CN'; else 'en'). */
export function langOf(tag) {
  return String(tag ?? '').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/**
 * Runs `render` in language `l` and returns its result: for a `<credit-score-form>` with its own
 * `lang` attribute (rendering is synchronous; nothing is stored, no listener is told).
 */
export function inLang(l, render) {
  const previous = current;
  current = l in LANGS ? l : previous;
  try {
    return render();
  } finally {
    current = previous;
  }
}

// Intl objects are costly to build and the page formats on every keystroke: one per language
// and option set.
const cache = new Map();
function cached(kind, opts, make) {
  const key = `${current}|${kind}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = make(LANGS[current].html, opts);
    cache.set(key, f);
  }
  return f;
}

/** Whether the table has `key` (in English at least). */
export function has(key) {
  return key in STRINGS.en;
}

/** A UI string with {placeholders} filled in; a plural string picks its form by `params.count`. */
export function t(key, params = {}) {
  let s = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  if (typeof s === 'object') {
    const form = cached('plural', {}, (l) => new Intl.PluralRules(l)).select(Number(params.count));
    s = s[form] ?? s.other;
  }
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** A schema text ({ en, zh }) in the current language, falling back to English, then anything. */
export function loc(obj, fallback = '') {
  if (obj == null) return fallback;
  if (typeof obj === 'string') return obj;
  const key = LANGS[current].schema;
  if (typeof obj[key] === 'string' && obj[key]) return obj[key];
  if (typeof obj.en === 'string' && obj.en) return obj.en;
  const any = Object.values(obj).find((v) => typeof v === 'string' && v);
  return any ?? fallback;
}

/** A localized list ({ en: [...], zh: [...] }) or plain array. */
export function locList(obj) {
  if (Array.isArray(obj)) return obj;
  if (obj == null || typeof obj !== 'object') return [];
  const key = LANGS[current].schema;
  const v = obj[key] ?? obj.en ?? Object.values(obj)[0];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function formatNumber(v, opts = {}) {
  return cached('number', opts, (l, o) => new Intl.NumberFormat(l, o)).format(v);
}

export function formatPercent(p, digits = 1) {
  return formatNumber(p, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatDateTime(d) {
  return cached('datetime', {}, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'long', timeStyle: 'medium' })).format(d);
}

/** A date alone (the notice's dates). */
export function formatDate(d) {
  return cached('date', {}, (l) => new Intl.DateTimeFormat(l, { dateStyle: 'long' })).format(d);
}

/** Points as shown: whole numbers. */
export function formatPoints(v) {
  return formatNumber(Math.round(v), { maximumFractionDigits: 0 });
}

/** Points with a sign (a true minus sign), for contributions. */
export function formatSignedPoints(v) {
  const r = Math.round(v);
  const s = formatNumber(Math.abs(r), { maximumFractionDigits: 0 });
  return r > 0 ? `+${s}` : r < 0 ? `−${s}` : s;
}
