-- How each material of a case came: uploaded, an e-licence the applicant holds (电子证照免提交, no file), or the same
-- file handed in on an earlier case (材料复用); `reference` names the licence or the earlier case.
ALTER TABLE case_files ADD COLUMN source TEXT NOT NULL DEFAULT 'upload';
ALTER TABLE case_files ADD COLUMN reference TEXT NOT NULL DEFAULT '';
